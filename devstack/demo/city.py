"""The reference city (韶山市) as demo data: 4 townships, 38 villages, 218 groups, 414 deputies.

Names known from public sources are used where there are some; the rest are generated and every record
is flagged as demo data. Ids are derived from codes, so every service seeds the same ids.

The map is generated too: the city is a box around 韶山 split into four township quadrants, each township
into rows of village rectangles, each village into strips, one per group; so the groups tile the city and
every point of it lies in one group (or on an edge two groups share). Figures (population, households) are
generated and add up to about the census's 103,000.

The seeders in this package (`devstack.demo`) load it through each service's own use cases.
"""

import math
import uuid
from dataclasses import dataclass
from functools import cache

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
CITY_BOX = (27.85, 112.40, 28.01, 112.60)  # south, west, north, east (WGS 84)
ORGANISATIONS = [
    "村民委员会",
    "镇人民政府",
    "市第一中学",
    "韶山灌区管理局",
    "个体工商户",
    "农民专业合作社",
    "市人民医院",
]
GIVEN = ["建国", "春华", "秀英", "志强", "桂兰", "伟", "芳", "红梅", "德明", "国庆", "海燕", "金山", "小平", "玉兰"]


def stable_id(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, code))


Ring = tuple[tuple[float, float], ...]
"""A closed GeoJSON ring of (longitude, latitude) positions."""


@dataclass(frozen=True)
class DemoGrid:
    code: str
    name: str
    level: str  # township | village | group
    parent_code: str | None
    ring: Ring = ()
    population: int | None = None
    households: int | None = None

    @property
    def district(self) -> str | None:
        """Villages are the electoral districts (选区) of the demo; groups and townships inherit or have none."""
        return f"第{self.code[-4:]}选区" if self.level == "village" else None

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
    organisation: str = ""
    phone: str = ""
    home: tuple[float, float] = (0.0, 0.0)  # (lat, lon), near the home group's centre

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


def _box_ring(south: float, west: float, north: float, east: float) -> Ring:
    corners = ((west, south), (east, south), (east, north), (west, north), (west, south))
    return tuple((round(lon, 6), round(lat, 6)) for lon, lat in corners)


def _split_rows(box: tuple[float, float, float, float], count: int) -> list[tuple[float, float, float, float]]:
    """`count` rectangles tiling `box`: rows of nearly equal length, each row split into equal cells."""
    south, west, north, east = box
    rows = max(1, round(math.sqrt(count)))
    sizes = [count // rows + (1 if row < count % rows else 0) for row in range(rows)]
    cells = []
    for row, size in enumerate(sizes):
        top = north - (north - south) * row / rows
        bottom = north - (north - south) * (row + 1) / rows
        for column in range(size):
            cells.append(
                (bottom, west + (east - west) * column / size, top, west + (east - west) * (column + 1) / size)
            )
    return cells


def _strips(box: tuple[float, float, float, float], count: int) -> list[tuple[float, float, float, float]]:
    south, west, north, east = box
    return [
        (south, west + (east - west) * i / count, north, west + (east - west) * (i + 1) / count) for i in range(count)
    ]


def _quadrants() -> list[tuple[float, float, float, float]]:
    south, west, north, east = CITY_BOX
    mid_lat, mid_lon = (south + north) / 2, (west + east) / 2
    return [
        (mid_lat, west, north, mid_lon),
        (mid_lat, mid_lon, north, east),
        (south, west, mid_lat, mid_lon),
        (south, mid_lon, mid_lat, east),
    ]


def _figures(index: int) -> tuple[int, int]:
    population = 350 + (index * 53) % 250
    return population, population // 3 + index % 7


@cache
def grids() -> list[DemoGrid]:
    """Townships, villages and groups with boundaries and figures (groups' figures add up to the parents')."""
    villages = _villages()
    group_counts = [sum(1 for index in range(GROUP_COUNT) if index % len(villages) == v) for v in range(len(villages))]
    groups: list[DemoGrid] = []
    village_cells: dict[str, tuple[float, float, float, float]] = {}
    for t_index, quadrant in enumerate(_quadrants()):
        mine = [village for village in villages if village.parent_code == f"{CITY_CODE}{t_index + 1:02d}"]
        village_cells.update(zip([v.code for v in mine], _split_rows(quadrant, len(mine)), strict=True))
    for index in range(GROUP_COUNT):
        v_index = index % len(villages)
        village, number = villages[v_index], index // len(villages) + 1
        cell = _strips(village_cells[village.code], group_counts[v_index])[number - 1]
        suffix = "小区" if village.name.endswith("社区") else "组"
        population, households = _figures(index)
        groups.append(
            DemoGrid(
                f"{village.code}{number:02d}",
                f"{village.name}第{number}{suffix}",
                "group",
                village.code,
                _box_ring(*cell),
                population,
                households,
            )
        )
    villages = [_with_totals(v, _box_ring(*village_cells[v.code]), groups) for v in villages]
    townships = [
        _with_totals(DemoGrid(f"{CITY_CODE}{i + 1:02d}", name, "township", None), _box_ring(*box), villages)
        for i, (name, box) in enumerate(zip(TOWNSHIPS, _quadrants(), strict=True))
    ]
    return townships + villages + groups


def _with_totals(grid: DemoGrid, ring: Ring, children: list[DemoGrid]) -> DemoGrid:
    mine = [child for child in children if child.parent_code == grid.code]
    return DemoGrid(
        grid.code,
        grid.name,
        grid.level,
        grid.parent_code,
        ring,
        sum(child.population or 0 for child in mine),
        sum(child.households or 0 for child in mine),
    )


def centre(grid: DemoGrid) -> tuple[float, float]:
    """(lat, lon) of the middle of a demo grid's rectangle."""
    lons = [lon for lon, _ in grid.ring[:-1]]
    lats = [lat for _, lat in grid.ring[:-1]]
    return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2


def _level(index: int) -> str:
    if index % 20 == 0:
        return "both"
    return "city" if index % 4 == 0 else "township"


@cache
def deputies() -> list[DemoDeputy]:
    """414 deputies, two per group and a few more; eight spread ones sit on the chairpersons' council."""
    groups = [grid for grid in grids() if grid.level == "group"]
    result = []
    for index in range(DEPUTY_COUNT):
        home = groups[index % len(groups)]
        lat, lon = centre(home)
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
        result.append(
            DemoDeputy(
                code=f"D{index + 1:04d}",
                name=name,
                level=_level(index),
                district=f"第{home.parent_code[-4:]}选区" if home.parent_code else "",
                council_member=index % 52 == 0,
                home_grid_code=home.code,
                organisation=ORGANISATIONS[index % len(ORGANISATIONS)],
                phone=f"139{index + 1:08d}",
                home=(round(lat + ((index * 7) % 11 - 5) * 1e-4, 6), round(lon + ((index * 5) % 11 - 5) * 1e-4, 6)),
            )
        )
    return result


def grid_heads() -> list[tuple[DemoGrid, DemoDeputy]]:
    """Each township's grid head (网格长): the first council member living in it, else the next council member."""
    townships = [grid for grid in grids() if grid.level == "township"]
    council = [deputy for deputy in deputies() if deputy.council_member]
    heads: list[tuple[DemoGrid, DemoDeputy]] = []
    for township in townships:
        free = [deputy for deputy in council if deputy not in {head for _, head in heads}]
        local = [deputy for deputy in free if deputy.home_grid_code.startswith(township.code)]
        heads.append((township, (local or free)[0]))
    return heads
