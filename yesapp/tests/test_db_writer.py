"""yesapp.db_writer: on SQLite, writers that go through it take turns (threads of a process and
other processes alike); inside a transaction, or on another database, it takes nothing."""

import fcntl
import os
import threading

import pytest
from django.db import connection, connections, transaction

from yesapp import db_writer


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_turn_to_end():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    order = []

    def second():
        with db_writer.sqlite_writer_turn():
            order.append("second")
        connections.close_all()

    with db_writer.sqlite_writer_turn():
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.3)
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"]


@pytest.mark.django_db(transaction=True)
def test_the_turn_holds_the_file_lock_other_processes_wait_on():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    path = f"{connection.settings_dict['NAME']}-writer.lock"
    with db_writer.sqlite_writer_turn():
        other = os.open(path, os.O_RDWR)  # another open file: as another process would see it
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    other = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
        fcntl.flock(other, fcntl.LOCK_UN)
    finally:
        os.close(other)


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_it_takes_nothing():
    with transaction.atomic(), db_writer.sqlite_writer_turn():
        assert not db_writer._thread_lock.locked()
