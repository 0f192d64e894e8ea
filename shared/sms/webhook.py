"""A generic JSON webhook: POST `{"phone": …, "message": <the whole text>}` to a URL (an SMS gateway of the
operator's that takes free text). It cannot say whether a message in doubt went (`status` is unknown)."""

import aiohttp

from shared.sms import Known, Outcome, SmsMessage


class WebhookSms:
    def __init__(self, url: str, timeout_seconds: float = 5.0) -> None:
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: SmsMessage) -> Outcome:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        body = {"phone": message.phone, "message": message.text}
        try:
            async with self._session.post(self.url, json=body, allow_redirects=False) as answer:
                status = answer.status
        except (TimeoutError, aiohttp.ClientError) as error:
            return Outcome("retry", f"the SMS webhook could not be reached: {type(error).__name__}")
        if status < 300:
            return Outcome("sent")
        if status == 429 or status >= 500:
            return Outcome("retry", f"the SMS webhook answered {status}")
        return Outcome("failed", f"the SMS webhook answered {status}")

    async def status(self, message: SmsMessage) -> Known:
        return "unknown"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
