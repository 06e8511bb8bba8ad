"""Datasets: a registry of short names (embedded, hub) plus local CSV / JSONL / Parquet files."""

from robustprune.data.registry import DATASETS, TaskData, load_task_data  # noqa: F401
