"""The collapse rule on planted predictions: a model that stopped classifying is flagged, a working one is not."""

import pytest

from robustprune.collapse import check_counts, check_predictions


def test_one_class_for_nine_in_ten_texts_is_collapsed():
    labels = [0] * 50 + [1] * 50
    predictions = [1] * 91 + [0] * 9
    check = check_predictions(predictions, labels, label_names=["negative", "positive"])
    assert check.collapsed and check.largest_class_share == pytest.approx(0.91)
    assert check.reason == "predicts positive for 91% of the 100 test texts"


def test_accuracy_near_the_majority_rate_is_collapsed_even_with_mixed_predictions():
    labels = [0] * 70 + [1] * 30  # always answering 0 scores 70%
    predictions = [0] * 56 + [1] * 14 + [0] * 18 + [1] * 12  # 80% / 20% predicted, accuracy (56 + 12) / 100
    check = check_predictions(predictions, labels)
    assert check.largest_class_share == pytest.approx(0.74) and check.accuracy == pytest.approx(0.68)
    assert check.collapsed and "within 5% of always answering the majority class (70.0%)" in check.reason


@pytest.mark.parametrize("share, accuracy", [(0.89, 0.56), (0.6, 0.8)])
def test_a_working_model_is_not_collapsed(share, accuracy):
    # balanced labels: the majority rate is 50%, so 56% and 80% are more than 5 points above it
    predicted = round(share * 100)
    check = check_counts([predicted, 100 - predicted], [50, 50], accuracy)
    assert not check.collapsed and check.reason is None


def test_the_boundaries_are_inclusive():
    assert check_counts([90, 10], [50, 50], 0.6).collapsed  # exactly 90% one class
    # exactly 5 points above the majority rate, on enough texts that the interval (52-58%) stays within 10 points
    assert check_counts([600, 400], [500, 500], 0.55).collapsed
    assert not check_counts([600, 400], [500, 500], 0.551).collapsed


def test_near_the_majority_rate_on_too_few_texts_is_not_called_collapsed():
    # 6 of 10 right on a 6-to-4 sample is the majority rate, and so is 60 of 100 on 60-to-40; only the second
    # sample is large enough for the accuracy's interval to rule out a model that classifies
    few = check_counts([5, 5], [6, 4], 0.6)
    assert not few.collapsed and few.reason is None
    assert "31%-83%" in few.caveat and "too few texts" in few.caveat
    many = check_counts([500, 500], [600, 400], 0.6)
    assert many.collapsed and many.caveat is None
    # the interval is scipy's Wilson interval: at 100 texts, 50% on balanced labels reaches 59.8% (flagged) and
    # 55% reaches 64.4% (too few)
    assert check_counts([50, 50], [50, 50], 0.5).collapsed
    assert not check_counts([60, 40], [50, 50], 0.55).collapsed


def test_one_class_is_collapsed_whatever_the_number_of_texts():
    assert check_counts([10, 0], [5, 5], 0.5).collapsed  # what the model did, not an estimate
