"""Event types read as words, whichever vocabulary the site uses."""

from viewer.ui.wording import event_type_text


def test_a_sites_dotted_or_underscored_type_reads_as_words_and_xprotects_stay_as_they_are():
    assert event_type_text("motion.detected") == "Motion detected"
    assert event_type_text("camera_offline") == "Camera offline"
    assert event_type_text("motion started") == "Motion started"
    assert event_type_text("Intrusion  alarm") == "Intrusion alarm"
    assert event_type_text("") == event_type_text(" . ") == "Event"
