"""Identity: who may call, and how they prove it — villagers' one-time codes, officials' passwords and TOTP,
access and refresh tokens, the NPC office's account management and audit log, integrators' API keys.

Routes: `signin.router` (/api/auth), `signin.dev_router` (development only) and `admin.router` (/api/admin).
The rules are in plain modules beside them (accounts, otp, tokens, totp, senders); none imports FastAPI.
"""
