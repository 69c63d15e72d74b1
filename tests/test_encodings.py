"""UTF-8 with or without BOM, UTF-16 with BOM, cp1252/Latin-1; LF, CRLF, CR."""

import gzip

import pytest
from click.testing import CliRunner

from datasette_mscdm.cli import cli

RIS = ("TY  - JOUR\nTI  - Efecto de las células madre en la diabetes – “ensayo”\n"
       "AU  - Müller, Jörg\nPY  - 2021\nAB  - Première ligne.\nER  - \n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_encodings_and_line_endings(encoding, newline, tmp_path, fresh_db, rows):
    path = tmp_path / "export.ris"
    path.write_bytes(RIS.replace("\n", newline).encode(encoding))
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    assert result.exit_code == 0, result.output
    [record] = rows(fresh_db, "select * from records")
    assert record["title"] == "Efecto de las células madre en la diabetes – “ensayo”"
    assert record["first_author"] == "Müller, Jörg"
    assert record["abstract"] == "Première ligne."


def test_latin1_bytes_undefined_in_cp1252(tmp_path, fresh_db, rows):
    path = tmp_path / "old.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - Caf\xe9 \x81\nER  - \n")
    assert CliRunner().invoke(cli, ["load", str(fresh_db), str(path)]).exit_code == 0
    assert rows(fresh_db, "select title from records")[0]["title"] == "Café \x81"


def test_gzip_detected_by_content_not_extension(tmp_path, fresh_db, rows):
    path = tmp_path / "export.dat"  # no .gz extension
    path.write_bytes(gzip.compress(RIS.encode("utf-8")))
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert rows(fresh_db, "select first_author from records")[0]["first_author"] == "Müller, Jörg"
    # The checksum is of the bytes on disk.
    import hashlib
    assert rows(fresh_db, "select sha256 from sources")[0]["sha256"] == hashlib.sha256(
        path.read_bytes()).hexdigest()


def test_a_file_mixing_utf8_and_cp1252_reads_each_record_right_and_warns(fresh_db):
    """Audit M5: one UTF-8 record, then one from an old Windows export."""
    from conftest import FIXTURES, load_files
    from datasette_mscdm.textio import MIXED, inspect_file

    path = FIXTURES / "audit/ris_mixed_encoding.ris"
    assert inspect_file(path).encoding == MIXED
    [source], (first, second) = load_files(fresh_db, path)
    assert first["title"] == "Müller study of β-cells 糖尿病"
    assert second["title"] == "Café study from an old EndNote export"
    assert source["warnings"][0].startswith("whole file: mixed encodings")
    assert "Café" in second["raw"]


@pytest.mark.parametrize("data,encoding", [
    ("Müller – “ensayo”".encode("utf-8"), "utf-8"),
    ("Müller – “ensayo”".encode("cp1252"), "cp1252"),
    ("Müller".encode("utf-8") + b"\n" + "Café".encode("cp1252"), "utf-8+cp1252"),
    (b"\xef\xbb\xbfplain ascii", "utf-8-sig"),
    (b"\xef\xbb\xbfM\xc3\xbcller " + "Café".encode("cp1252"), "utf-8+cp1252"),
])
def test_encoding_decision(tmp_path, data, encoding):
    from datasette_mscdm.textio import inspect_file

    path = tmp_path / "x.txt"
    path.write_bytes(data + b"\n")
    assert inspect_file(path).encoding == encoding
