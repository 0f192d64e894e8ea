"""`python -m shared.messaging.export` writes each event payload's JSON Schema to docs/events/.

CI compares these files with the code: a payload change must come with a new version of its event type.
"""

import json

from shared.config import PROJECT_ROOT
from shared.messaging.catalogue import json_schemas

FOLDER = PROJECT_ROOT / "docs" / "events"


def rendered() -> dict[str, str]:
    return {
        f"{event_type}.json": json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        for event_type, schema in json_schemas().items()
    }


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (FOLDER / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
