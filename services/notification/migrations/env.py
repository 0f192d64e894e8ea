from services.notification.models import Base
from shared.migrations import run_environment

run_environment(Base.metadata)
