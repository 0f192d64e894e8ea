"""Identity: one-time codes for villagers, passwords and TOTP for officials, access and refresh tokens."""
