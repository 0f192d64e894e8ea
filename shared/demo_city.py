"""The reference city (韶山市) as demo data: 4 townships, 38 villages, 218 groups, 414 deputies.

Names known from public sources are used where there are some; the rest are generated and every record
is flagged as demo data. Ids are derived from codes, so every service seeds the same ids.
"""

import uuid
from dataclasses import dataclass

NAMESPACE = uuid.UUID("6f1c8a52-7d0e-4c5b-9a37-2f4e1b9d0c11")
CITY_CODE = "430382"

TOWNSHIPS = ["清溪镇", "银田镇", "韶山乡", "杨林乡"]
KNOWN_VILLAGES = {
    "清溪镇": ["韶山火车站社区"],
    "银田镇": ["银田村", "南村", "华南村", "银园村", "银田寺社区"],
    "韶山乡": ["韶山村", "湘韶村", "韶阳村", "黄田村"],
    "杨林乡": [],
}
OLDER_NAMES = [
    "韶源",
    "韶北",
    "铁皮",
    "竹鸡",
    "韶光",
    "石忠",
    "石山",
    "花园",
    "朝阳",
    "白玉",
    "枫木",
    "长湖",
    "韶南",
    "永泉",
    "狮山",
    "东湖",
    "青石",
    "茶园",
    "凤家",
    "三华",
    "长田",
    "南湖",
    "夕丰",
    "鳌石",
    "北托",
    "槐星",
]
VILLAGES_PER_TOWNSHIP = [10, 10, 10, 8]
GROUP_COUNT = 218
DEPUTY_COUNT = 414
SURNAMES = "毛刘李王张陈周彭谭杨赵黄吴胡郭曾邓罗"
GIVEN = ["建国", "春华", "秀英", "志强", "桂兰", "伟", "芳", "红梅", "德明", "国庆", "海燕", "金山", "小平", "玉兰"]


def stable_id(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, code))


@dataclass(frozen=True)
class DemoGrid:
    code: str
    name: str
    level: str  # township | village | group
    parent_code: str | None

    @property
    def id(self) -> str:
        return stable_id("grid:" + self.code)

    @property
    def parent_id(self) -> str | None:
        return stable_id("grid:" + self.parent_code) if self.parent_code else None


@dataclass(frozen=True)
class DemoDeputy:
    code: str
    name: str
    level: str  # city | township
    district: str
    council_member: bool
    home_grid_code: str

    @property
    def id(self) -> str:
        return stable_id("deputy:" + self.code)


def _villages() -> list[DemoGrid]:
    spare = iter(OLDER_NAMES)
    villages = []
    for t_index, (township, count) in enumerate(zip(TOWNSHIPS, VILLAGES_PER_TOWNSHIP, strict=True)):
        names = list(KNOWN_VILLAGES[township])
        while len(names) < count:
            stem = next(spare, None) or f"{township[:2]}新{len(names)}"
            names.append(stem + ("社区" if len(names) % 5 == 4 else "村"))
        for v_index, name in enumerate(names):
            villages.append(
                DemoGrid(
                    f"{CITY_CODE}{t_index + 1:02d}{v_index + 1:02d}", name, "village", f"{CITY_CODE}{t_index + 1:02d}"
                )
            )
    return villages


def grids() -> list[DemoGrid]:
    townships = [DemoGrid(f"{CITY_CODE}{i + 1:02d}", name, "township", None) for i, name in enumerate(TOWNSHIPS)]
    villages = _villages()
    groups = []
    for index in range(GROUP_COUNT):
        village = villages[index % len(villages)]
        number = index // len(villages) + 1
        suffix = "小区" if village.name.endswith("社区") else "组"
        groups.append(
            DemoGrid(f"{village.code}{number:02d}", f"{village.name}第{number}{suffix}", "group", village.code)
        )
    return townships + villages + groups


def deputies() -> list[DemoDeputy]:
    groups = [grid for grid in grids() if grid.level == "group"]
    result = []
    for index in range(DEPUTY_COUNT):
        home = groups[index % len(groups)]
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
        result.append(
            DemoDeputy(
                code=f"D{index + 1:04d}",
                name=name,
                level="city" if index % 4 == 0 else "township",
                district=f"第{home.parent_code[-4:]}选区" if home.parent_code else "",
                council_member=index < 8,
                home_grid_code=home.code,
            )
        )
    return result
