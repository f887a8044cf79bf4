"""The submission record: what it keeps and what a crash can leave behind."""

from pathlib import Path

from batchcase.record import Record, read_record, record_path_for


def test_the_record_sits_beside_the_sheet():
    assert record_path_for("/lab/run7/batch.csv") == Path(
        "/lab/run7/batch.csv.batchcase-record.jsonl"
    )


def test_a_missing_record_is_empty(tmp_path):
    state = read_record(tmp_path / "none.jsonl")
    assert state.families == {} and state.host is None


def test_reading_gives_each_family_its_case_or_last_state(tmp_path):
    path = tmp_path / "r.jsonl"
    with Record(path) as record:
        record.write("started", host="http://127.0.0.1:1", families=3)
        record.write("dry_run_passed", family="A")
        record.write("post_sent", family="A", proband="A-P", known_cases=[])
        record.write("created", family="A", case_id="EMG1")
        record.write("post_sent", family="B", proband="B-P", known_cases=["EMG0"])
        record.write("failed", family="C", stage="dry_run", message="no", status=400)
        record.write("status", case_id="EMG1", status="Delivered")

    state = read_record(path)
    assert state.host == "http://127.0.0.1:1"
    assert state.case_ids() == {"A": "EMG1"}
    assert state.families["B"].pending and state.families["B"].known_cases == ["EMG0"]
    assert not state.families["C"].pending
    assert state.families["C"].message == "no"
    assert state.statuses == {"EMG1": "Delivered"}


def test_a_family_keeps_its_case_whatever_follows(tmp_path):
    path = tmp_path / "r.jsonl"
    with Record(path) as record:
        record.write("uncertain", family="A", message="timeout")
        record.write("adopted", family="A", case_id="EMG7")
        record.write("failed", family="A", stage="create", message="late noise")

    assert read_record(path).case_ids() == {"A": "EMG7"}


def test_a_torn_last_line_is_ignored_and_the_next_writer_starts_afresh(tmp_path):
    path = tmp_path / "r.jsonl"
    with Record(path) as record:
        record.write("created", family="A", case_id="EMG1")
    with open(path, "ab") as file:
        file.write(b'{"event": "created", "family": "B", "case_i')  # killed mid-write

    assert read_record(path).case_ids() == {"A": "EMG1"}
    with Record(path) as record:
        record.write("created", family="C", case_id="EMG3")
    assert read_record(path).case_ids() == {"A": "EMG1", "C": "EMG3"}


def test_each_event_is_one_line_of_json_with_a_time(tmp_path):
    path = tmp_path / "r.jsonl"
    with Record(path) as record:
        record.write("created", family="A", case_id="EMG1")

    lines = path.read_text().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('{"event": "created", "time": "20')
    assert lines[0].endswith('"family": "A", "case_id": "EMG1"}')


def test_a_saved_export_holds_until_the_case_changes_status(tmp_path):
    path = tmp_path / "r.jsonl"
    with Record(path) as record:
        record.write("status", case_id="EMG1", status="Finalized", source="webhook")
        record.write("export_saved", case_id="EMG1", path="EMG1.export.json")
        record.write("status", case_id="EMG1", status="Finalized")
        record.write("export_saved", case_id="EMG2", path="EMG2.export.json")
        record.write("status", case_id="EMG2", status="Re-Analysis")

    state = read_record(path)
    assert state.exports == {"EMG1": "EMG1.export.json"}
    assert state.statuses == {"EMG1": "Finalized", "EMG2": "Re-Analysis"}
