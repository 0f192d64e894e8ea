"""one name per category: the seeded categories' names in the villager's words, the same the app shows offline

The villager picked "用水" while the deputy read "供水与水费" (issue #19): each category now has one name, from
GET /categories, which the PWA shows to both and keeps for offline use; the PWA's catalogues carry the same names
for a phone that was never online (tests/unit/test_category_names.py keeps them equal). A name the office has
changed already is left as it is.

Revision ID: d8e3b6f0a4c1
Revises: c4d2a9e1f7b3
Create Date: 2026-12-03 07:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d8e3b6f0a4c1"
down_revision: str | Sequence[str] | None = "c4d2a9e1f7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {
    # code: (seeded Chinese, seeded English) -> (Chinese, English)
    "water": (("供水与水费", "Water supply and fees"), ("用水和水费", "Water and water fees")),
    "roads": (("道路桥梁", "Roads and bridges"), ("道路和桥", "Roads and bridges")),
    "sanitation": (("环境卫生", "Sanitation"), ("环境卫生", "Cleanliness")),
    "land": (("土地与宅基地", "Land and homesteads"), ("土地和宅基地", "Land and homesteads")),
    "neighbours": (("邻里", "Neighbours"), ("邻里关系", "Neighbours")),
    "social_assistance": (("社会救助", "Social assistance"), ("生活困难求助", "Hardship aid")),
}
NAMES = {
    "water": ("用水和水费", "Water and water fees"),
    "roads": ("道路和桥", "Roads and bridges"),
    "rivers": ("河道沟渠", "Rivers and ditches"),
    "parking": ("停车", "Parking"),
    "sanitation": ("环境卫生", "Cleanliness"),
    "old_compound": ("老旧小区改造", "Old-compound renovation"),
    "land": ("土地和宅基地", "Land and homesteads"),
    "neighbours": ("邻里关系", "Neighbours"),
    "family": ("家庭", "Family"),
    "social_assistance": ("生活困难求助", "Hardship aid"),
    "other": ("其他", "Other"),
    "marriage_family": ("婚姻家庭继承", "Marriage, family and inheritance"),
    "neighbourhood": ("邻里纠纷", "Neighbourhood disputes"),
    "housing_homestead": ("房屋宅基地", "Housing and homesteads"),
    "damages": ("损害赔偿", "Compensation for damage"),
    "contract": ("合同", "Contracts"),
    "forest_land": ("山林土地承包", "Forest and land contracts"),
    "requisition": ("征地拆迁", "Land requisition and demolition"),
    "labour": ("劳动争议", "Labour disputes"),
    "village_affairs": ("村务管理", "Village affairs"),
    "environment": ("环境", "Environment"),
    "traffic_accident": ("交通事故", "Traffic accidents"),
    "medical": ("医患", "Doctors and patients"),
    "property_management": ("物业", "Property management"),
    "dispute_other": ("其他纠纷", "Other disputes"),
}
"""Every seeded category's one name after this revision (Chinese, English): what the PWA's catalogues say."""

categories = sa.table(
    "categories", sa.column("code", sa.String), sa.column("label_zh", sa.String), sa.column("label_en", sa.String)
)


def _rename(pairs: dict[str, tuple[tuple[str, str], tuple[str, str]]]) -> None:
    for code, ((old_zh, old_en), (new_zh, new_en)) in pairs.items():
        for column, old, new in (("label_zh", old_zh, new_zh), ("label_en", old_en, new_en)):
            if old != new:
                op.execute(
                    categories.update()
                    .where(categories.c.code == code, categories.c[column] == old)
                    .values({column: new})
                )


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({code: (new, old) for code, (old, new) in RENAMED.items()})
