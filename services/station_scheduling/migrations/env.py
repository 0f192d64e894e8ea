from services.station_scheduling.models import Base
from shared.migrations import run_environment

run_environment(Base.metadata)
