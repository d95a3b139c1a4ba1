"""The history chart's coordinates: time order, every point inside the drawing, one point
alone, totals outside the scale refused, and a guide at each band's lower edge."""

from datetime import UTC, datetime, timedelta

import pytest

from kiteline.screening.chart import HEIGHT, MARGIN, WIDTH, chart

START = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def test_points_are_drawn_in_time_order_whatever_order_they_come_in() -> None:
    drawn = chart([(day(9), 4), (day(0), 20), (day(3), 11)], highest=27)
    assert [point.at for point in drawn.points] == [day(0), day(3), day(9)]
    assert [point.total for point in drawn.points] == [20, 11, 4]
    xs = [point.x for point in drawn.points]
    assert xs == sorted(xs)
    assert (xs[0], xs[-1]) == (MARGIN, WIDTH - MARGIN)


def test_points_are_evenly_spaced_by_order_not_by_date() -> None:
    drawn = chart([(day(0), 1), (day(1), 2), (day(30), 3)], highest=27)
    first, middle, last = (point.x for point in drawn.points)
    assert middle - first == pytest.approx(last - middle)


def test_every_point_lies_inside_the_chart_and_a_higher_total_is_drawn_higher() -> None:
    drawn = chart([(day(n), total) for n, total in enumerate((0, 5, 27))], highest=27)
    for point in drawn.points:
        assert MARGIN <= point.x <= WIDTH - MARGIN
        assert MARGIN <= point.y <= HEIGHT - MARGIN
    lowest, middle, top = drawn.points
    assert lowest.y == HEIGHT - MARGIN
    assert top.y == MARGIN
    assert top.y < middle.y < lowest.y


def test_a_single_point_sits_in_the_middle() -> None:
    (point,) = chart([(day(0), 12)], highest=27).points
    assert point.x == WIDTH / 2
    assert MARGIN < point.y < HEIGHT - MARGIN


def test_no_totals_draw_no_points() -> None:
    drawn = chart([], highest=21)
    assert drawn.points == ()
    assert drawn.polyline == ""


def test_the_line_joins_the_points_in_order() -> None:
    drawn = chart([(day(1), 27), (day(0), 0)], highest=27)
    assert drawn.polyline == f"{MARGIN:.1f},{HEIGHT - MARGIN:.1f} {WIDTH - MARGIN:.1f},{MARGIN:.1f}"


@pytest.mark.parametrize("total", [28, -1])
def test_a_total_outside_the_scale_is_refused(total: int) -> None:
    with pytest.raises(ValueError, match="outside 0 to 27"):
        chart([(day(0), 3), (day(1), total)], highest=27)


def test_a_scale_with_no_height_is_refused() -> None:
    with pytest.raises(ValueError, match="highest total above zero"):
        chart([(day(0), 0)], highest=0)


def test_each_band_above_zero_gets_a_guide_at_its_lower_edge() -> None:
    bands = [("minimal", 0), ("mild", 5), ("moderate", 10), ("severe", 20)]
    drawn = chart([(day(0), 7)], highest=27, bands=bands)
    assert [(guide.label, guide.value) for guide in drawn.guides] == [
        ("mild", 5),
        ("moderate", 10),
        ("severe", 20),
    ]
    ys = [guide.y for guide in drawn.guides]
    assert ys == sorted(ys, reverse=True)
    (point,) = drawn.points
    # A total of 7 is drawn between the mild and moderate guides.
    assert ys[1] < point.y < ys[0]


def test_a_guide_is_drawn_at_the_height_of_its_total() -> None:
    drawn = chart([(day(0), 10), (day(1), 3)], highest=20, bands=[("high", 10)])
    (guide,) = drawn.guides
    assert guide.y == drawn.points[0].y
