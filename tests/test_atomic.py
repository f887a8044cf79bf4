"""Files written whole or not at all."""

from batchcase import atomic


def test_bytes_replace_a_file_whole_and_leave_no_temporary_behind(tmp_path):
    target = atomic.write_bytes(tmp_path / "sub" / "EMG1.export.json", b"{}")
    atomic.write_bytes(target, b'{"a": 1}')

    assert target.read_bytes() == b'{"a": 1}'
    assert [p.name for p in target.parent.iterdir()] == ["EMG1.export.json"]


def test_text_is_written_as_utf8_with_its_own_line_endings(tmp_path):
    target = atomic.write_text(tmp_path / "t.csv", "é,1\r\n")
    assert target.read_bytes() == "é,1\r\n".encode()


def test_a_written_file_gets_the_usual_permissions(tmp_path):
    import os
    import stat

    from batchcase import atomic

    old = os.umask(0o022)
    try:
        path = atomic.write_text(tmp_path / "report.md", "# plan\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~atomic._UMASK
