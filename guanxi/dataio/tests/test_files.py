"""Reading import files: the quick row count agrees with the rows an import reads."""

import csv

import pytest

from guanxi.dataio import files

FILES = {
    "plain": "名称,电话\n华信科技,13800138000\n中兴贸易,13900139000\n",
    "blank rows": "名称,电话\n,\n华信科技,13800138000\n \t, \u3000\n\n中兴贸易,\n",
    "no newline at the end": "名称,电话\n华信科技,13800138000",
    "CR and CRLF line ends": "名称,电话\r华信科技,1\r\n中兴贸易,2\r\r\n",
    "quoted commas": '名称,电话\n"Sterling Foods (Guangzhou) Co., Ltd.",1\n华信,2\n',
    "a quoted field over lines": '名称,备注\n华信,"第一行\n第二行\r\n\n第四行"\n中兴,\n',
    "a quote inside a field": '名称,备注\n华"信,a\n中兴,"b\nc"\n',
    "quoted blanks": '名称,备注\n" ","\u3000"\n华信,1\n',
    "header only": "名称,电话\n",
    "nothing but blanks": "\n,\n",
    "tabs": "名称\t电话\n华信,科技\t1\n\t\n",
    "a NUL character": "名称,电话\n华信\0科技,1\n",
}


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16"])
def test_the_quick_count_is_the_number_of_rows_read(name, encoding, tmp_path):
    text = FILES[name]
    delimiter = "\t" if name == "tabs" else ","
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode(encoding))
    rows = list(files.data_rows(path, "csv", encoding, delimiter))
    assert files._count_csv_rows(path, encoding, delimiter) == len(rows)
    assert files.count_data_rows(path, "csv", encoding, delimiter) == len(rows)


@pytest.fixture
def small_field_limit():
    """The CSV reader's field size limit at 1,000 characters (it is 10 MB for imports)."""
    kept = csv.field_size_limit(1000)
    yield 1000
    csv.field_size_limit(kept)


def test_a_file_the_reader_refuses_is_refused_by_the_count_too(tmp_path, small_field_limit):
    path = tmp_path / "rows.csv"
    path.write_bytes(f"名称,备注\n华信,{'长' * 2000}\n".encode())  # a field over the limit
    assert files._count_csv_rows(path, "utf-8", ",") is None
    with pytest.raises(files.FileError):
        files.count_data_rows(path, "csv", "utf-8", ",")
