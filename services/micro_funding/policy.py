"""Limits on objections to a public notice, read from FUNDING_* environment variables.

An objection blocks approval until the NPC office rules on it, so each account may have one pending objection
per project and raise a few a day, and one client address (a village's shared carrier NAT or station Wi-Fi
counts as one) a few dozen an hour.
"""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ObjectionLimits(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FUNDING_", env_file=None, extra="ignore")

    objections_per_account_per_day: int = Field(
        5, ge=1, le=1000, description="Objections one villager's account may raise in 24 hours, all projects"
    )
    objections_per_address_per_hour: int = Field(
        30, ge=1, le=100_000, description="Objections from one client address in an hour, all accounts"
    )
