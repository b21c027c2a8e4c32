"""The newest frame wins; a burst wakes the painter once."""

import threading

from viewer.media.mailbox import Mailbox


def test_the_first_frame_asks_for_a_wake_and_later_ones_replace_it():
    box: Mailbox[int] = Mailbox()
    assert box.put(1) is True
    assert box.put(2) is False
    assert box.put(3) is False
    assert box.take() == 3
    assert box.dropped == 2
    assert box.take() is None


def test_after_a_take_the_next_frame_wakes_again():
    box: Mailbox[int] = Mailbox()
    box.put(1)
    box.take()
    assert box.put(2) is True


def test_concurrent_producer_never_loses_the_newest_frame():
    box: Mailbox[int] = Mailbox()
    taken: list[int] = []

    def produce():
        for i in range(20_000):
            box.put(i)

    thread = threading.Thread(target=produce)
    thread.start()
    while thread.is_alive():
        item = box.take()
        if item is not None:
            taken.append(item)
    thread.join()
    last = box.take()
    newest = last if last is not None else taken[-1]
    assert newest == 19_999
    assert taken == sorted(taken)
    assert len(taken) + box.dropped + (last is not None) == 20_000
