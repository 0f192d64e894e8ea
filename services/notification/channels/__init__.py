"""The ways a message leaves the system, each behind one small interface: Web Push (webpush.py) and SMS
(sms.py: the provider chosen by SMS_PROVIDER, from the one SMS library, shared.sms). Each send answers an
`Outcome` (shared.sms's: the same for both channels)."""

from shared.sms import Outcome, OutcomeStatus

__all__ = ["Outcome", "OutcomeStatus"]
