from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_onboarding import (
    DEFAULT_CATALOG,
    Catalog,
    Category,
    FirstCategory,
    Market,
    PartnerRole,
    UnknownCategory,
    ValidationError,
)
from partner_onboarding.catalog import extend_catalog, load_catalog, normalize_name, parse_member
from partner_onboarding.errors import WrongType
from partner_onboarding.testing import catalogs, categories, category_spellings

CREATOR = FirstCategory.CREATOR_SERVICE
SELLER = FirstCategory.SELLER_SERVICE
SELLER_PARTNER = PartnerRole.SELLER_SERVICE_PARTNER

# Every row of the source's service-category table, as the source spells it.
SOURCE_TABLE = [
    ("Creator Service", "Creator Management", "Creator Service Partner", "Creator Management"),
    ("Seller Service", "Shop Management", "Seller Service Partner", "Shop Management"),
    ("Seller Service", "LIVE Management", "Seller Service Partner", "LIVE Management"),
    (
        "Seller Service",
        "Short Video Management",
        "Seller Service Partner",
        "Short Video Management",
    ),
    (
        "Seller Service",
        "Seller affiliate Management",
        "Seller Service Partner",
        "Seller Affiliate Management",
    ),
    ("Seller Service", "Shop registration", "Seller Service Partner", "Shop Registration"),
    (
        "Seller Service",
        "Creator mathmaking",
        "Seller Service - Creator Matchmaking",
        "Creator Matchmaking",
    ),
]


@pytest.mark.parametrize(("first", "spelled", "role", "canonical"), SOURCE_TABLE)
def test_every_row_of_the_source_table(first: str, spelled: str, role: str, canonical: str) -> None:
    category = DEFAULT_CATALOG.category(spelled)
    assert category.name == canonical
    assert category.first_category.label == first
    assert category.role.label == role
    assert not category.legacy


def test_the_issue_example() -> None:
    category = DEFAULT_CATALOG.category("Creator mathmaking")
    assert category.name == "Creator Matchmaking"
    assert category.role is PartnerRole.SELLER_SERVICE_CREATOR_MATCHMAKING
    assert category.role.label == "Seller Service - Creator Matchmaking"


def test_current_structure_has_seven_secondary_categories_and_three_roles() -> None:
    current = DEFAULT_CATALOG.categories()
    assert len(current) == 7
    assert {c.first_category for c in current} == {CREATOR, SELLER}
    assert set(DEFAULT_CATALOG.roles()) == set(PartnerRole)


@pytest.mark.parametrize(
    ("role", "names"),
    [
        (PartnerRole.CREATOR_SERVICE_PARTNER, ["Creator Management"]),
        (
            PartnerRole.SELLER_SERVICE_PARTNER,
            [
                "Shop Management",
                "LIVE Management",
                "Short Video Management",
                "Seller Affiliate Management",
                "Shop Registration",
            ],
        ),
        (PartnerRole.SELLER_SERVICE_CREATOR_MATCHMAKING, ["Creator Matchmaking"]),
    ],
)
def test_categories_by_role(role: PartnerRole, names: list[str]) -> None:
    assert [c.name for c in DEFAULT_CATALOG.categories(role=role)] == names


@pytest.mark.parametrize(
    "name", ["Mass Recruiting", "Mass Tutoring", "Paid Media", "mass_recruiting", "PAID-MEDIA"]
)
def test_legacy_categories_resolve_and_map_onto_seller_service(name: str) -> None:
    category = DEFAULT_CATALOG.category(name)
    assert category.legacy
    assert DEFAULT_CATALOG.current_role(name) is PartnerRole.SELLER_SERVICE_PARTNER
    assert category in DEFAULT_CATALOG.legacy()
    assert category not in DEFAULT_CATALOG.categories()
    assert category in DEFAULT_CATALOG.categories(include_legacy=True)


def test_iteration_yields_current_then_legacy() -> None:
    everything = list(DEFAULT_CATALOG)
    assert len(everything) == len(DEFAULT_CATALOG) == 10
    assert everything[:7] == list(DEFAULT_CATALOG.categories())
    assert everything[7:] == list(DEFAULT_CATALOG.legacy())


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("creator management", "creator_management"),
        ("CREATOR_MANAGEMENT", "creator_management"),
        ("  live   management ", "live_management"),
        ("Live-Management", "live_management"),
        ("short_video-management", "short_video_management"),
        ("seller affiliate management", "seller_affiliate_management"),
        ("Creator Match-making", "creator_matchmaking"),
        ("creator_mathmaking", "creator_matchmaking"),
    ],
)
def test_forgiving_lookup(spelling: str, code: str) -> None:
    assert DEFAULT_CATALOG.category(spelling).code == code
    assert spelling in DEFAULT_CATALOG


def test_lookup_of_a_category_value_checks_it_is_this_catalogs() -> None:
    shop = DEFAULT_CATALOG.category("shop_management")
    assert DEFAULT_CATALOG.category(shop) is shop
    impostor = Category(code="shop_management", name="Shop", first_category=SELLER, role=shop.role)
    with pytest.raises(UnknownCategory):
        DEFAULT_CATALOG.category(impostor)
    assert impostor not in DEFAULT_CATALOG


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("Creator Managment", "Creator Management"),
        ("Shop Registraton", "Shop Registration"),
        ("Paid Medias", "Paid Media"),
    ],
)
def test_unknown_category_suggests_the_closest_names(name: str, suggestion: str) -> None:
    with pytest.raises(UnknownCategory) as caught:
        DEFAULT_CATALOG.category(name)
    assert caught.value.name == name
    assert suggestion in caught.value.suggestions
    assert repr(suggestion) in str(caught.value)
    assert isinstance(caught.value, KeyError)


def test_unknown_category_with_nothing_close() -> None:
    with pytest.raises(UnknownCategory) as caught:
        DEFAULT_CATALOG.category("zzzzqqqq")
    assert caught.value.suggestions == ()
    assert str(caught.value) == "unknown service category 'zzzzqqqq'"


@pytest.mark.parametrize("bad", [None, 3, b"shop_management"])
def test_lookup_of_a_non_string_is_unknown_category(bad: object) -> None:
    with pytest.raises(UnknownCategory):
        DEFAULT_CATALOG.category(bad)  # type: ignore[arg-type]


@given(categories(), st.data())
def test_every_spelling_resolves(category: Category, data: st.DataObject) -> None:
    assert DEFAULT_CATALOG.category(data.draw(category_spellings(category))) is category


@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once


@given(st.text(max_size=30))
def test_lookup_either_resolves_or_raises_unknown_category(text: str) -> None:
    try:
        found = DEFAULT_CATALOG.category(text)
    except UnknownCategory as error:
        assert error.name == text
    else:
        assert normalize_name(text) in {
            normalize_name(s) for s in (found.code, found.name, *found.aliases)
        }


def test_catalog_refuses_two_categories_with_one_spelling() -> None:
    one = Category(
        code="a", name="Alpha", first_category=SELLER, role=PartnerRole.SELLER_SERVICE_PARTNER
    )
    two = Category(
        code="b",
        name="Beta",
        first_category=SELLER,
        role=PartnerRole.SELLER_SERVICE_PARTNER,
        aliases={"alpha"},
    )
    with pytest.raises(ValidationError) as caught:
        Catalog([one, two])
    assert caught.value.fields == ("categories[1]",)


def test_category_checks_its_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        Category(
            code="Bad Code",
            name=" ",
            first_category=SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
            required_fields={"colour"},
        )
    assert caught.value.fields == ("code", "name", "required_fields")


ROLES = ", ".join(role.value for role in PartnerRole)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            {
                "code": "Bad-Code",
                "name": " ",
                "first_category": "nope",
                "role": "nope",
                "aliases": [3],
                "required_fields": "team_size",
                "legacy": "yes",
                "catalog": 5,
            },
            [
                "code: must be lower-case letters, digits and '_'",
                "name: must be a name (text, not empty)",
                "first_category: must be one of creator_service, seller_service",
                f"role: must be one of {ROLES}",
                "aliases: must be a set of names",
                "required_fields: must be a set of names",
                "legacy: must be true or false",
                "catalog: must be a catalog identity (name@version)",
            ],
        ),
        (
            {"code": 3, "name": None, "aliases": ["ok", " "], "required_fields": [3]},
            [
                "code: must be lower-case letters, digits and '_'",
                "name: must be a name (text, not empty)",
                "aliases: must not hold a blank name",
                "required_fields: must be a set of names",
            ],
        ),
        (
            {"required_fields": ["team_size", "shoe_size", "hat_size"]},
            ["required_fields: unknown category information fields ['hat_size', 'shoe_size']"],
        ),
    ],
)
def test_a_category_s_problems_are_said_word_for_word(
    fields: dict[str, object], said: list[str]
) -> None:
    given = {
        "code": "a",
        "name": "Alpha",
        "first_category": "seller_service",
        "role": "seller_service_partner",
    }
    with pytest.raises(ValidationError) as caught:
        Category(**{**given, **fields})  # type: ignore[arg-type]
    count = f"{len(said)} problem{'s' if len(said) > 1 else ''}"
    assert str(caught.value) == f"invalid category: {count}\n" + "\n".join(
        f"  - {line}" for line in said
    )


def test_a_category_takes_its_first_category_and_role_by_their_values() -> None:
    spelled = Category(
        code="a", name="Alpha", first_category="seller_service", role="seller_service_partner"
    )
    assert (spelled.first_category, spelled.role) == (SELLER, PartnerRole.SELLER_SERVICE_PARTNER)


ALPHA = Category(code="a", name="Alpha", first_category=SELLER, role=SELLER_PARTNER)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: Catalog(None), ["categories: must be a list of categories"]),  # type: ignore[arg-type]
        (
            lambda: Catalog([1, ALPHA, "x"]),  # type: ignore[list-item]
            ["categories[0]: must be a Category", "categories[2]: must be a Category"],
        ),
        (
            lambda: Catalog(
                [
                    ALPHA,
                    Category(
                        code="b",
                        name="Beta",
                        first_category=SELLER,
                        role=SELLER_PARTNER,
                        aliases={"alpha", "ALPHA "},
                    ),
                ]
            ),
            [
                "categories[1]: 'ALPHA ' already names category 'a'",
                "categories[1]: 'alpha' already names category 'a'",
            ],
        ),
        (
            lambda: Catalog([ALPHA, attrs.evolve(ALPHA, name="Other")]),
            ["categories[1]: category 'a' is already in the catalog"],
        ),
        (
            lambda: Catalog([ALPHA, ALPHA]),
            ["categories[1]: category 'a' is already in the catalog"],
        ),
        (
            lambda: Catalog([ALPHA], name="bad name", version="v" * 65),
            [
                "name: must be 1 to 64 letters, digits, '.', '-' or '_'",
                "version: must be 1 to 64 letters, digits, '.', '-' or '_'",
            ],
        ),
    ],
)
def test_a_catalog_s_problems_are_said_word_for_word(
    make: Callable[[], Catalog], said: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    count = f"{len(said)} problem{'s' if len(said) > 1 else ''}"
    assert str(caught.value) == f"invalid catalog: {count}\n" + "\n".join(
        f"  - {line}" for line in said
    )


@given(catalog=catalogs(), data=st.data())
def test_a_category_given_again_is_refused_at_its_position(
    catalog: Catalog, data: st.DataObject
) -> None:
    own = [attrs.evolve(c, catalog=None) for c in catalog]
    again = data.draw(st.sampled_from(own))
    changed = data.draw(st.sampled_from([again, attrs.evolve(again, aliases=set())]))
    at = data.draw(st.integers(min_value=0, max_value=len(own)))
    with pytest.raises(ValidationError) as caught:
        Catalog([*own[:at], changed, *own[at:]])
    first = own.index(again)
    position = first + 1 if at <= first else at  # (the later of the two is refused)
    assert f"categories[{position}]: category {again.code!r} is already in the catalog" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("make", "error", "said"),
    [
        (lambda: Market(840), WrongType, "must be a string"),  # type: ignore[arg-type]
        (lambda: Market.parse(840), WrongType, "must be a string"),  # type: ignore[arg-type]
        (lambda: Market("usa"), ValidationError, "'usa' is not an ISO 3166-1 alpha-2 country code"),
        (
            lambda: Market.of(3),  # type: ignore[arg-type]
            WrongType,
            "market: must be a Market or an ISO 3166-1 alpha-2 code",
        ),
        (
            lambda: Market.of("XX"),
            ValidationError,
            "market: 'XX' is not an ISO 3166-1 alpha-2 country code",
        ),
    ],
)
def test_a_market_s_problem_is_said_word_for_word(
    make: Callable[[], Market], error: type[ValidationError], said: str
) -> None:
    with pytest.raises(error) as caught:
        make()
    assert str(caught.value) == f"invalid market: 1 problem\n  - {said}"
    assert caught.value.fields == ("market" if said.startswith("market:") else "",)


@pytest.mark.parametrize("code", ["US", "GB", "CN", "MX"])
def test_market_accepts_iso_codes(code: str) -> None:
    assert Market(code).code == code
    assert Market.parse(f" {code.lower()} ") == Market(code)


@pytest.mark.parametrize("code", ["USA", "us", "XX", "", "U1", "EU"])
def test_market_refuses_anything_else(code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Market(code)
    assert caught.value.fields == ("",)


def test_market_parse_refuses_non_text() -> None:
    with pytest.raises(ValidationError):
        Market.parse(840)  # type: ignore[arg-type]


def test_market_us_is_the_default_and_prints_as_its_code() -> None:
    assert Market("US") == Market.US
    assert str(Market.US) == "US"
    assert repr(Market.US) == "Market('US')"


def test_roles_and_first_categories_print_their_labels() -> None:
    assert str(PartnerRole.SELLER_SERVICE_PARTNER) == "Seller Service Partner"
    assert str(FirstCategory.CREATOR_SERVICE) == "Creator Service"
    assert str(DEFAULT_CATALOG.category("live_management")) == "LIVE Management"


def test_categories_filter_by_first_category() -> None:
    assert [c.code for c in DEFAULT_CATALOG.categories(first_category=CREATOR)] == [
        "creator_management"
    ]


@pytest.mark.parametrize(
    ("categories", "field"),
    [(None, "categories"), ("Paid Media", "categories"), ([1, "x"], "categories[0]")],
)
def test_a_catalog_is_made_of_categories(categories: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Catalog(categories)  # type: ignore[arg-type]
    assert caught.value.fields[0] == field


@pytest.mark.parametrize(
    ("value", "shown"),
    [(5, "'5'"), (None, "'None'"), ([1] * 100, "'" + repr([1] * 100)[:40] + "…'")],
)
def test_a_value_that_is_no_name_is_quoted_once_and_short(value: object, shown: str) -> None:
    with pytest.raises(UnknownCategory) as caught:
        DEFAULT_CATALOG.category(value)  # type: ignore[arg-type]
    assert str(caught.value) == f"unknown service category {shown}"


@pytest.mark.parametrize(
    "spelling",
    [
        "\u201cPaid Media\u201d",  # a word processor's curly quotes
        "'Paid Media'",
        '"Paid Media"',
        "\u00abPaid Media\u00bb",
        "Paid\u00a0Media",  # a no-break space
        "\u201c Paid  media \u201d",
    ],
)
def test_names_as_spreadsheets_and_word_processors_write_them(spelling: str) -> None:
    assert DEFAULT_CATALOG.category(spelling).code == "paid_media"


def test_a_quote_inside_a_name_is_not_left_out() -> None:
    with pytest.raises(UnknownCategory):
        DEFAULT_CATALOG.category("Paid\u201d Media")


# --------------------------------------------------------------------------------------------------
# Catalog files: the default catalog and the categories a file adds; hostile files refused


def test_a_catalog_file_adds_its_categories_and_names_each_problem(tmp_path: pathlib.Path) -> None:
    import json  # noqa: PLC0415

    from partner_onboarding.catalog import extend_catalog, load_catalog  # noqa: PLC0415

    row = {
        "code": "live_coaching",
        "name": "LIVE Coaching",
        "first_category": "seller_service",
        "role": "seller_service_partner",
        "legacy": True,
    }
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"name": "us", "version": "2", "categories": [row]}), "utf-8")
    loaded = load_catalog(path)
    assert loaded.category("live coaching").legacy
    assert len(loaded) == len(DEFAULT_CATALOG) + 1
    bad = [
        ({"categories": []}, ["categories"]),
        ({"categories": [row] * 1001}, ["categories"]),
        ({"categories": [row], "colour": 1}, ["colour"]),
        ({"categories": [{**row, "role": 5}]}, ["categories[0].role"]),
        ({"categories": [{**row, "shade": 1}]}, ["categories[0].shade"]),
        (
            {"categories": [{"code": "x"}]},
            [f"categories[0].{k}" for k in ("name", "first_category", "role")],
        ),
        ({"categories": [{**row, "name": "Paid Media"}]}, ["categories[0]"]),  # (a name taken)
        ({"categories": ["live_coaching"]}, ["categories[0]"]),
        ([row], [""]),
    ]
    for data, fields in bad:
        with pytest.raises(ValidationError) as caught:
            extend_catalog(data)
        assert [p.path for p in caught.value.problems] == fields, data
    taken = [{**row, "code": f"c{n}", "name": "Paid Media"} for n in range(60)]
    with pytest.raises(ValidationError) as caught:
        extend_catalog({"categories": taken})
    assert (len(caught.value.problems), caught.value.more) == (50, 10)
    assert str(caught.value).endswith("already names category 'paid_media'\n  - … and 10 more")
    for content in (b"\xff\xfe not utf-8", b"[categories", b"x" * 2_000_000):
        path.write_bytes(content)
        with pytest.raises(ValidationError):
            load_catalog(path)
    with pytest.raises(ValidationError):
        load_catalog("/dev/zero")  # (read up to the bound of a document, then refused)


_ROW = {
    "code": "live_coaching",
    "name": "LIVE Coaching",
    "first_category": "seller_service",
    "role": "seller_service_partner",
    "legacy": True,
}


_ONE = "invalid catalog: 1 problem\n  - "
_NO_ROWS = _ONE + "categories: must be a non-empty list of category tables"
_REQUIRED = (
    "invalid catalog: 3 problems\n  - categories[0].name: is required\n"
    "  - categories[0].first_category: is required\n  - categories[0].role: is required"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1], _ONE + "must be a table of catalog fields"),
        ({"categories": [_ROW], "colour": 1}, _ONE + "colour: unknown field"),
        ({f"k{i}": 1 for i in range(53)}, "invalid catalog: 53 problems\n  - k0: unknown field"),
        ({"version": "1"}, _NO_ROWS),
        ({"categories": []}, _NO_ROWS),
        ({"categories": [_ROW] * 1001}, _ONE + "categories: must add at most 1000 categories"),
        ({"categories": [_ROW, 5]}, _ONE + "categories[1]: must be a table of category fields"),
        ({"categories": [_ROW | {"colour": 1}]}, _ONE + "categories[0].colour: unknown field"),
        ({"categories": [{"code": "a_b"}, _ROW]}, _REQUIRED),
        ({"categories": [5] * 60}, "invalid catalog: 50 problems\n  - categories[0]: must be a"),
        (
            {"categories": [_ROW, _ROW]},
            _ONE + "categories[1]: category 'live_coaching' is already in the catalog",
        ),
        (
            {"categories": [_ROW | {"name": "Paid Media Legacy", "code": "paid_media"}]},
            _ONE + "categories[0]: category 'paid_media' is already in the catalog",
        ),
        (
            {"categories": [_ROW | {"name": "Paid Media", "code": "pm2"}]},
            _ONE + "categories[0]: 'Paid Media' already names category 'paid_media'",
        ),
    ],
)
def test_a_catalog_file_s_problems_are_said_word_for_word(data: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        extend_catalog(data)
    assert str(caught.value).startswith(message)
    if "53 problems" in message:
        assert str(caught.value).endswith("  - … and 3 more")


_LONG = "k" * 150


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (
            {"categories": [_ROW | {"code": "Bad"}, 5, _ROW | {"colour": 1}, {"code": "z"}]},
            [
                "categories[0].code: must be lower-case letters, digits and '_'",
                "categories[1]: must be a table of category fields",
                "categories[2].colour: unknown field",
                "categories[3].name: is required",
                "categories[3].first_category: is required",
                "categories[3].role: is required",
            ],
        ),
        ({"categories": [_ROW | {_LONG: 1}]}, [f"categories[0].{_LONG[:100]}: unknown field"]),
        ({_LONG: 1}, [f"{_LONG[:100]}: unknown field"]),
    ],
)
def test_every_problem_of_every_row_of_a_catalog_file_is_said_in_order(
    data: object, said: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        extend_catalog(data)
    count = f"{len(said)} problem{'s' if len(said) > 1 else ''}"
    assert str(caught.value) == f"invalid catalog: {count}\n" + "\n".join(
        f"  - {line}" for line in said
    )


def test_a_catalog_file_adds_up_to_its_bound() -> None:
    rows = [_ROW | {"code": f"c{i}", "name": f"Category {i}"} for i in range(1000)]
    added = extend_catalog({"categories": rows})
    assert len(list(added)) == len(list(DEFAULT_CATALOG)) + 1000


def test_a_catalog_without_a_version_is_versioned_by_its_content() -> None:
    alpha = Catalog([ALPHA], name="mine")
    assert alpha.version is not None
    assert len(alpha.version) == 12
    assert alpha.id == f"mine@{alpha.version}"
    assert Catalog([ALPHA], name="mine").version == alpha.version
    assert Catalog([ALPHA], name="mine", version="2").version == "2"


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_catalog_file_that_cannot_be_read_says_it_is_a_catalog(
    tmp_path: pathlib.Path, suffix: str
) -> None:
    path = tmp_path / f"catalog{suffix}"
    path.write_text("{[", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_catalog(path)
    assert str(caught.value).startswith("invalid catalog: 1 problem\n  - ")


def test_a_catalog_of_its_own_suggests_its_own_names() -> None:
    with pytest.raises(UnknownCategory) as caught:
        Catalog([ALPHA]).category("Alpah")
    assert caught.value.suggestions == ("Alpha",)


def test_suggestions_are_of_three_categories_however_many_spellings_one_of_them_has() -> None:
    def named(code: str, name: str, aliases: set[str] | None = None) -> Category:
        return Category(
            code=code,
            name=name,
            first_category=SELLER,
            role=SELLER_PARTNER,
            aliases=aliases or set(),
        )

    catalog = Catalog(
        [
            named("alpha", "Alpha", {"abcdefg9", "abcdefg8", "abcdefg7"}),
            named("beta", "abcdefg3"),
            named("gamma", "abcdefg2"),
            named("delta", "abcdefg1"),
        ]
    )
    with pytest.raises(UnknownCategory) as caught:
        catalog.category("abcdefg")
    assert caught.value.suggestions == ("Alpha", "abcdefg3", "abcdefg2")


@pytest.mark.parametrize(
    ("name", "shown", "suggested"),
    [
        (b"x" * 37, repr(b"x" * 37), False),  # (a repr of 40 characters: whole)
        (b"x" * 38, repr(b"x" * 38)[:40] + "…", False),
        ("Paid Medi" + " " * 191, "Paid Medi" + " " * 191, True),  # (200: searched)
        ("Paid Medi" + " " * 192, "Paid Medi" + " " * 31 + "…", False),
        (ALPHA, "a", False),  # (another catalog's category: named by its code)
    ],
)
def test_an_unknown_name_is_shown_whole_up_to_its_bound(
    name: object, shown: str, suggested: bool
) -> None:
    with pytest.raises(UnknownCategory) as caught:
        DEFAULT_CATALOG.category(name)  # type: ignore[arg-type]
    assert caught.value.name == shown
    assert bool(caught.value.suggestions) is suggested


def test_a_category_value_is_found_when_it_is_one_of_the_catalog_s() -> None:
    paid_media = DEFAULT_CATALOG.category("paid_media")
    unstamped = attrs.evolve(paid_media, catalog=None)
    assert DEFAULT_CATALOG.find(paid_media) is paid_media
    assert DEFAULT_CATALOG.find(attrs.evolve(paid_media, aliases=set(paid_media.aliases))) is (
        paid_media
    )  # (equal, not the same object)
    assert DEFAULT_CATALOG.find(unstamped) is paid_media  # (not yet in any catalog)
    assert DEFAULT_CATALOG.find(attrs.evolve(paid_media, catalog="other@1")) is None
    assert DEFAULT_CATALOG.find(attrs.evolve(unstamped, name="Paid Media 2")) is None
    assert DEFAULT_CATALOG.find(attrs.evolve(paid_media, name="Paid Media 2")) is None


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (3, "must be one of creator_service, seller_service"),
        (
            "Seler Service",
            (
                "'Seler Service' is not one of creator_service, seller_service; did you mean "
                "'seller_service'?"
            ),
        ),
        ("x" * 300, f"{'x' * 40 + '…'!r} is not one of creator_service, seller_service"),
    ],
)
def test_a_member_is_read_by_any_spelling_or_refused_word_for_word(
    value: object, said: str
) -> None:
    assert parse_member(FirstCategory, " seller  SERVICE ", field="first") is SELLER
    with pytest.raises(ValidationError) as caught:
        parse_member(FirstCategory, value, field="first", what="category")
    assert str(caught.value) == f"invalid category: 1 problem\n  - first: {said}"


def test_a_catalog_holds_its_own_categories_and_names_only() -> None:
    paid_media = DEFAULT_CATALOG.category("paid_media")
    assert paid_media in DEFAULT_CATALOG
    assert "Paid Media" in DEFAULT_CATALOG
    assert "nothing of the kind" not in DEFAULT_CATALOG
    assert 3 not in DEFAULT_CATALOG
    assert ALPHA not in DEFAULT_CATALOG


def test_a_catalog_file_names_itself_and_extends_the_base_given(tmp_path: pathlib.Path) -> None:
    base = extend_catalog({"name": "base", "version": "1", "categories": [_ROW]})
    more = _ROW | {"code": "live_tutoring", "name": "LIVE Tutoring"}
    unnamed = extend_catalog({"version": "2", "categories": [more]}, base=base)
    assert (unnamed.name, unnamed.version) == ("custom", "2")
    toml = "[[categories]]\n" + "".join(f'{key} = "{value}"\n' for key, value in more.items()
                                        if key != "legacy")  # fmt: skip
    for suffix, text in ((".toml", toml), (".json", json.dumps({"categories": [more]}))):
        path = tmp_path / f"more{suffix}"
        path.write_text(text, encoding="utf-8")
        loaded = load_catalog(path, base=base)
        assert {"LIVE Coaching", "LIVE Tutoring"} <= {c.name for c in loaded}
        path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
        with pytest.raises(ValidationError) as caught:
            load_catalog(path, base=base)
        assert str(caught.value).startswith("invalid catalog: 1 problem")
