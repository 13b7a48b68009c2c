"""Landlord estates derived from the social-housing programmes financed in Paris.

The Ville de Paris dataset gives one point per programme (an address, with the
landlord's name in `bs`), not estate outlines. For one landlord, an estate is
derived per IRIS:

1. the programme points of the landlord, in Lambert-93, are joined to the IRIS
   that contains them (a point outside every IRIS goes to the nearest IRIS
   within `MAX_IRIS_DISTANCE_M`, else it is dropped);
2. each point is buffered by `ESTATE_BUFFER_M` metres, enough to cover a
   building, its courtyard and the pavement in front of it;
3. the buffers are dissolved per IRIS and the result is clipped to the IRIS
   polygon, so the estates of one landlord never overlap and each lies in one
   IRIS.

The estate's code is `<landlord slug>-<IRIS code>` and its name is
"<landlord> – <IRIS name>". Its properties keep the landlord name as
published, the number of programmes and of dwellings, and the programme ids.
Each landlord gets a set of its own, because estates of two landlords overlap
in places (about 0.28 km² for Paris Habitat and RIVP with a 50 m buffer). An
entry is attached to a single territory per set, so a shared set would credit
an entry in the overlap to one landlord only.
"""

import pandas as pd
from django.utils.text import slugify

import geopandas as gpd
from shapely import MultiPolygon, Polygon

ESTATE_BUFFER_M = 50
MAX_IRIS_DISTANCE_M = 100
BUFFER_QUADRANT_SEGMENTS = 8
LANDLORD_FIELD = "bs"

SOURCE_TEMPLATE = (
    "Derived by the demo loader from the social-housing programmes financed in "
    "Paris (Ville de Paris, dataset logements-sociaux-finances-a-paris, ODbL): "
    "the programme points of the landlord {landlord!r} are buffered by "
    "{buffer} m, dissolved per IRIS and clipped to the IRIS polygon (IGN/INSEE "
    "CONTOURS-IRIS, Licence Ouverte 2.0). These are not the landlord's real "
    "estate outlines."
)


def describe_derivation(landlord):
    """Text for the `source` field of a derived estate set."""
    return SOURCE_TEMPLATE.format(landlord=landlord, buffer=ESTATE_BUFFER_M)


def derive_estates(programmes_path, iris_path, landlord, *, srid):
    """Return a GeoDataFrame of one estate per IRIS for `landlord`, in `srid`.

    Columns: code, name, parent_code (the IRIS code), landlord, programmes,
    dwellings, programme_ids, geometry (MultiPolygon). Raises ValueError when
    the landlord has no programme in the file.
    """
    programmes = _read_programmes(programmes_path, landlord, srid)
    iris = _read_iris(iris_path, srid)
    located = _join_iris(programmes, iris)
    estates = _dissolve(located, iris)

    slug = slugify(landlord)
    estates["code"] = slug + "-" + estates["parent_code"]
    estates["name"] = landlord + " – " + estates["iris_name"]
    estates["landlord"] = landlord
    columns = [
        "code",
        "name",
        "parent_code",
        "landlord",
        "programmes",
        "dwellings",
        "programme_ids",
        "geometry",
    ]

    return estates[columns].sort_values("code").reset_index(drop=True)


def _read_programmes(path, landlord, srid):
    frame = gpd.read_file(path)
    selected = frame[frame[LANDLORD_FIELD].str.strip() == landlord]
    if selected.empty:
        known = frame[LANDLORD_FIELD].value_counts().head(10).index.tolist()
        raise ValueError(
            f"No programme of the landlord {landlord!r} in {path}; the most frequent "
            f"landlord names are: {', '.join(known)}."
        )
    selected = selected[~selected.geometry.is_empty & selected.geometry.notna()]

    return selected.to_crs(srid)


def _read_iris(path, srid):
    iris = gpd.read_file(path, columns=["CODE_IRIS", "NOM_IRIS"])
    iris = iris.rename(columns={"CODE_IRIS": "parent_code", "NOM_IRIS": "iris_name"})
    iris["parent_code"] = iris["parent_code"].astype(str)

    return iris.to_crs(srid)


def _join_iris(programmes, iris):
    inside = gpd.sjoin(programmes, iris, predicate="within", how="left")
    inside = inside[~inside.index.duplicated(keep="first")]
    outside = inside["parent_code"].isna()
    if outside.any():
        nearest = gpd.sjoin_nearest(
            programmes[outside], iris, how="inner", max_distance=MAX_IRIS_DISTANCE_M
        )
        nearest = nearest[~nearest.index.duplicated(keep="first")]
        inside = pd.concat([inside[~outside], nearest])

    return inside.drop(columns=["index_right"])


def _dissolve(located, iris):
    buffers = located.copy()
    buffers["geometry"] = located.geometry.buffer(
        ESTATE_BUFFER_M, quad_segs=BUFFER_QUADRANT_SEGMENTS
    )
    buffers["dwellings"] = pd.to_numeric(buffers["nb_logmt_total"], errors="coerce")
    grouped = buffers.groupby("parent_code")
    dissolved = buffers.dissolve(by="parent_code", as_index=False)[
        ["parent_code", "geometry"]
    ]
    dissolved["programmes"] = dissolved["parent_code"].map(grouped.size())
    dissolved["dwellings"] = (
        dissolved["parent_code"].map(grouped["dwellings"].sum()).fillna(0).astype(int)
    )
    dissolved["programme_ids"] = dissolved["parent_code"].map(
        grouped["n_livraison"].apply(lambda ids: ",".join(str(i) for i in sorted(ids)))
    )

    clipped = dissolved.merge(iris, on="parent_code", suffixes=("", "_iris"))
    clipped["geometry"] = gpd.GeoSeries(clipped["geometry"], crs=iris.crs).intersection(
        gpd.GeoSeries(clipped["geometry_iris"], crs=iris.crs)
    )
    clipped = gpd.GeoDataFrame(clipped.drop(columns=["geometry_iris"]), crs=iris.crs)
    clipped["geometry"] = clipped.geometry.make_valid().force_2d()
    clipped = clipped[~clipped.geometry.is_empty]
    clipped["geometry"] = _to_multipolygons(clipped.geometry)

    return clipped


def _to_multipolygons(geometries):
    """Keep the polygonal parts of each geometry, as MultiPolygons."""

    def convert(geometry):
        if isinstance(geometry, MultiPolygon):
            return geometry
        if isinstance(geometry, Polygon):
            return MultiPolygon([geometry])
        parts = [
            part
            for part in getattr(geometry, "geoms", [])
            if isinstance(part, (Polygon, MultiPolygon))
        ]
        polygons = []
        for part in parts:
            polygons.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
        return MultiPolygon(polygons)

    return geometries.map(convert)
