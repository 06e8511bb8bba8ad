"""What ``attack --texts FILE -n 2`` reads from a large file: peak Python memory (tracemalloc) and seconds of
``read_texts(limit=2)`` against ``read_texts()`` (every text: what the command read before issue 26), in one
process, on a generated ~50 MB labelled CSV and a ~50 MB unlabelled .txt (one review a line).

    python -m bench.bench_read_texts [--mb 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from robustprune.attack.texts import read_texts

REVIEW = "this movie was surprisingly moving, the plot soared and the acting was rich "


def write_files(folder: Path, megabytes: float) -> tuple[Path, Path]:
    rows = int(megabytes * 1e6 / (len(REVIEW) + 2))
    csv_path, txt_path = folder / "big.csv", folder / "big.txt"
    with open(csv_path, "w", encoding="utf-8") as csv_file, open(txt_path, "w", encoding="utf-8") as txt_file:
        csv_file.write("text,label\n")
        for index in range(rows):
            csv_file.write(f"{REVIEW}{index},{index % 2}\n")
            txt_file.write(f"{REVIEW}{index}\n")
    return csv_path, txt_path


def measured(path: Path, limit: int | None) -> tuple[float, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    texts = read_texts(path, limit=limit)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6, seconds, len(texts.texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for path in write_files(Path(folder), args.mb):
            size = path.stat().st_size / 1e6
            whole_mb, whole_s, count = measured(path, None)
            two_mb, two_s, _ = measured(path, 2)
            print(f"{path.name} ({size:.0f} MB, {count} texts): all texts {whole_mb:.0f} MB peak, {whole_s:.2f} s; "
                  f"-n 2: {two_mb:.2f} MB peak, {two_s:.4f} s ({whole_mb / two_mb:.0f}x less memory)")


if __name__ == "__main__":
    main()
