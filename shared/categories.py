"""The one name of each case category (Chinese, English), for what is printed or exported outside case intake.

Case intake owns the categories (GET /categories, seeded by its migrations; the office may rename one there);
the PWA's catalogues carry the same names for a phone that was never online. A service that prints a category
it received only as a code (a station's reception record, a PDF) names it from here, so that a villager who
picked "用水和水费" reads the same words on paper. tests/unit/test_category_names.py keeps this table, the
seeded names and the PWA's catalogues equal."""

CATEGORY_NAMES: dict[str, tuple[str, str]] = {
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
