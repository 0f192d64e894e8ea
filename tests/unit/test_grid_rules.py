"""Grid rules without I/O: names and pinyin, boundaries, point → grid, coverage ranking, the demo map."""

import pytest
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from devstack.demo import city as demo_city
from services.grid.domain import geo, names
from services.grid.domain.coverage import Candidate, CandidatePool


def square(west: float, south: float, size: float = 1.0) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


# --- names ------------------------------------------------------------------------------------------------


def test_pinyin_and_initials_find_what_villagers_type():
    assert names.search_keys("湘韶村") == ("xiangshaocun", "xsc")
    pinyin, initials = names.search_keys("长湖村")  # 长 reads chang or zhang: both are kept
    assert "changhucun" in pinyin.split("|") and "chc" in initials.split("|")
    assert names.search_keys("韶阳村第1组")[1] == "sycd1z"


def test_a_typed_query_is_reduced_to_letters_and_digits():
    assert names.query_key("Xiang Shao'cun ") == "xiangshaocun"
    assert names.query_key("湘韶") == ""


@pytest.mark.parametrize(
    ("level", "name", "kind"),
    [
        ("township", "清溪镇", "town"),
        ("township", "韶山乡", "township"),
        ("township", "清溪街道", "subdistrict"),
        ("village", "银田寺社区", "community"),
        ("village", "韶阳村", "village"),
        ("group", "火车站社区第2小区", "compound"),
        ("group", "韶阳村第1组", "group"),
    ],
)
def test_the_kind_follows_the_name_within_the_level(level, name, kind):
    assert names.default_kind(level, name) == kind


# --- boundaries -------------------------------------------------------------------------------------------


def test_a_self_intersecting_boundary_is_refused():
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(geo.BoundaryError, match="Self-intersection"):
        geo.boundary_geometry(bowtie)


def test_a_degenerate_boundary_is_refused():
    flat = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]}
    with pytest.raises(geo.BoundaryError):
        geo.boundary_geometry(flat)


def test_the_centre_of_a_concave_boundary_lies_inside_it():
    u_shape = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3), (0, 0)])
    lat, lon = geo.inner_centre(u_shape)
    assert u_shape.covers(Polygon([(lon, lat), (lon, lat), (lon, lat)]).centroid)


def test_haversine_knows_a_degree_of_latitude():
    assert geo.haversine_m(27.0, 112.0, 28.0, 112.0) == pytest.approx(111_195, rel=1e-3)


# --- point → grid -----------------------------------------------------------------------------------------


def locator() -> geo.GridLocator:
    """Two unit squares sharing the edge lon = 1, and a grid known only by its centre far east."""
    return geo.GridLocator(
        [
            geo.IndexedGrid("A", (0.5, 0.5), geo.boundary_geometry(square(0, 0))),
            geo.IndexedGrid("B", (0.5, 1.5), geo.boundary_geometry(square(1, 0))),
            geo.IndexedGrid("C", (0.5, 10.0), None),
        ]
    )


def test_a_point_inside_a_boundary_resolves_to_that_grid():
    assert locator().locate(0.5, 1.5) == geo.Located("B", "boundary", 0.0)


@pytest.mark.parametrize(("lat", "lon"), [(0.0, 0.5), (1.0, 0.0), (0.0, 0.0), (0.5, 0.0)])
def test_a_point_on_an_outer_edge_or_corner_belongs_to_the_grid(lat, lon):
    assert locator().locate(lat, lon).grid_id == "A"


@pytest.mark.parametrize(("lat", "lon"), [(0.5, 1.0), (0.0, 1.0), (1.0, 1.0)])
def test_a_point_on_a_shared_edge_resolves_to_one_grid_always_the_same(lat, lon):
    assert {locator().locate(lat, lon).grid_id for _ in range(3)} == {"A"}


def test_a_point_just_across_a_shared_edge_belongs_to_the_other_side():
    assert locator().locate(0.5, 1.0 + 1e-9).grid_id == "B"


def test_a_point_a_hair_outside_an_outer_edge_still_belongs_to_the_grid():
    located = locator().locate(0.5, -1e-9)  # floating-point noise, well under a centimetre
    assert located == geo.Located("A", "boundary", 0.0)


def test_outside_every_boundary_the_nearest_centre_answers():
    located = locator().locate(0.5, 8.0)
    assert located.grid_id == "C" and located.method == "nearest_centre"
    assert located.distance_m == pytest.approx(geo.haversine_m(0.5, 8.0, 0.5, 10.0), rel=1e-6)


def test_no_grids_resolve_nothing():
    assert geo.GridLocator([]).locate(27.9, 112.5) is None


# --- coverage suggestions ---------------------------------------------------------------------------------


def candidate(code: str, district: str, home: tuple[float, float] | None, load: int = 1) -> Candidate:
    return Candidate(f"id-{code}", code, f"代表{code}", district, home, load)


def test_suggestions_prefer_the_same_district_then_the_nearest():
    pool = CandidatePool(
        [
            candidate("D1", "第2选区", (27.90, 112.50)),  # next door, other district
            candidate("D2", "第1选区", (28.50, 113.00)),  # far, same district
            candidate("D3", "第3选区", (28.90, 113.90)),  # far, other district
            candidate("D4", "第1选区", (27.95, 112.52)),  # near, same district
        ]
    )
    ranked = pool.rank("第1选区", (27.90, 112.50), limit=4)
    assert [item.candidate.code for item in ranked] == ["D4", "D2", "D1", "D3"]
    assert [item.reason for item in ranked] == ["same_district", "same_district", "nearest", "nearest"]
    assert ranked[2].distance_m == 0.0


def test_among_equals_the_less_loaded_deputy_comes_first_and_unknown_homes_last():
    pool = CandidatePool(
        [
            candidate("D1", "第1选区", (27.9, 112.5), load=3),
            candidate("D2", "第1选区", (27.9, 112.5), load=1),
            candidate("D3", "第1选区", None, load=0),
        ]
    )
    assert [item.candidate.code for item in pool.rank("第1选区", (27.9, 112.5))] == ["D2", "D1", "D3"]


def test_without_a_district_or_centre_suggestions_still_come_in_a_stable_order():
    pool = CandidatePool([candidate("D2", "x", None), candidate("D1", "y", None)])
    assert [item.candidate.code for item in pool.rank(None, None)] == ["D1", "D2"]
    assert CandidatePool([]).rank("x", (0, 0)) == []


# --- the demo map -----------------------------------------------------------------------------------------


def test_the_demo_groups_tile_the_city_without_overlap():
    groups = [Polygon(grid.ring) for grid in demo_city.grids() if grid.level == "group"]
    assert all(polygon.is_valid for polygon in groups)
    south, west, north, east = demo_city.CITY_BOX
    city = box(west, south, east, north)
    assert unary_union(groups).symmetric_difference(city).area < 1e-9
    assert sum(polygon.area for polygon in groups) == pytest.approx(city.area, rel=1e-6)


def test_the_demo_figures_add_up_and_each_township_head_sits_on_the_council():
    grids = demo_city.grids()
    townships = [grid for grid in grids if grid.level == "township"]
    assert sum(grid.population for grid in townships) == sum(g.population for g in grids if g.level == "group")
    heads = demo_city.grid_heads()
    assert [township.code for township, _ in heads] == [township.code for township in townships]
    assert all(head.council_member for _, head in heads)
    assert all(head.home_grid_code.startswith(township.code) for township, head in heads)
    assert len({head.code for _, head in heads}) == 4
