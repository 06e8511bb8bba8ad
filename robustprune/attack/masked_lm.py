"""A masked-LM head fitted on the embedded MiniLM, offline, for BERT-Attack's candidates.

BERT-Attack (Li et al., 2020) takes a word's substitutes from the top guesses of BERT's
masked-LM head at the word's position; TextAttack loads ``bert-base-uncased`` from the
hub. Offline, robustprune ships an encoder with the same WordPiece vocabulary:
all-MiniLM-L6-v2 (6 layers, hidden 384), trained as a sentence encoder, without a
masked-LM head. Here it gets BERT's head (Devlin et al., 2019, ``BertForMaskedLM``):

    logits(h) = LayerNorm(GELU(W h + b)) E^T + c

with E the encoder's own word-embedding matrix (the decoder tied to it, as in BERT), W
started at the identity. The encoder is frozen; W, b, the LayerNorm and c are fitted with
BERT's objective under whole-word masking: 15 % of the words, all of a chosen word's
pieces; of the chosen pieces 80 % become [MASK], 10 % a random piece, 10 % stay. With
the encoder frozen, each text is masked once and its final hidden states at the masked
positions are computed once; the head then trains for a few epochs on those features
(the CPU cost is one forward pass over the texts). The texts are the TRAINING splits of
the embedded corpora (rotten_tomatoes sentences and movie_reviews reviews cut into
windows), never a test split that an attack uses; ``HELDOUT`` training sentences are
kept out for the fill-mask measurement.

``fill_mask_accuracy`` measures what BERT-Attack needs: a held-out sentence, one of its
words masked whole (a word that is not an NLTK stopword and is one word piece, i.e. the
words BERT-Attack swaps through a single position), and whether the word is among the
head's top 10 at that position. The fitted head is saved as an ordinary Hugging Face
masked-LM checkpoint (safetensors) with its measurement in ``fit.json``.

Measured (``python bench/bench_attack.py --masked-lm``): the head reaches 0.0 % top-10 on
399 held-out sentences (it learns the word-piece frequencies); in a one-off trial, heads on
layer 3 or 4 states reached 1-2 %. The sentence encoder's token states do not carry what
a masked LM needs (an encoder tuned as a masked LM might; not within this CPU budget), so
the head is NOT
BERT-Attack's offline default: ``load_masked_lm`` uses it only if a cached head
reaches ``ACCEPT_TOP10`` (30 %); BERT-Attack offline needs ``--mlm DIR``.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from robustprune.errors import RobustPruneError
from robustprune.paths import data_dir
from robustprune.progress import Progress, silent

HUB_MLM = "bert-base-uncased"  # what BERT-Attack uses when the hub or its cache has it
NAME = "MiniLM masked-LM head (fitted offline)"
HELDOUT = 400
ACCEPT_TOP10 = 0.30  # below this the head is not used by default (see parts.py)


@dataclass(frozen=True)
class HeadFit:
    texts: int = 3000            # training texts (sentences and review windows) masked and encoded once
    max_length: int = 48         # word pieces per text
    epochs: int = 6              # passes of the head over the encoded masked positions
    batch_positions: int = 512   # masked positions per step
    learning_rate: float = 2e-3
    mask_fraction: float = 0.15
    seed: int = 0


def head_dir(fit: HeadFit = HeadFit()) -> Path:
    return data_dir() / "masked_lm" / f"minilm-mlm-head-{fit.texts}t-{fit.epochs}e"


# ---------------------------------------------------------------------------- texts

def training_texts(max_length: int, tokenizer) -> tuple[list[list[str]], list[str]]:
    """(training word lists, held-out sentences) from the train splits of the embedded corpora."""
    from robustprune.data.registry import load_movie_reviews, load_rotten_tomatoes

    sentences = list(load_rotten_tomatoes().train["text"])
    random.Random(1).shuffle(sentences)
    heldout, sentences = sentences[:HELDOUT], sentences[HELDOUT:]
    windows = [text.split() for text in sentences]
    words_per_window = max(8, max_length // 2)  # reviews cut into windows that fit max_length pieces
    for review in load_movie_reviews().train["text"]:
        words = review.split()
        windows.extend(words[start:start + words_per_window] for start in range(0, len(words), words_per_window))
    return windows, heldout


def whole_word_mask(tokenizer, word_lists: list[list[str]], fit: HeadFit, generator: random.Random):
    """input_ids, attention_mask, labels (-100 where not predicted) for a batch, by whole-word masking."""
    encoded = tokenizer(word_lists, is_split_into_words=True, truncation=True, max_length=fit.max_length,
                        padding=True, return_tensors="pt")
    input_ids = encoded["input_ids"].clone()
    labels = torch.full_like(input_ids, -100)
    for row in range(len(word_lists)):
        word_ids = encoded.word_ids(row)
        words = sorted({word for word in word_ids if word is not None})
        if not words:
            continue
        chosen = set(generator.sample(words, max(1, round(fit.mask_fraction * len(words)))))
        for position, word in enumerate(word_ids):
            if word not in chosen:
                continue
            labels[row, position] = input_ids[row, position]
            draw = generator.random()
            if draw < 0.8:
                input_ids[row, position] = tokenizer.mask_token_id
            elif draw < 0.9:
                input_ids[row, position] = generator.randrange(tokenizer.vocab_size)
    return input_ids, encoded["attention_mask"], labels


# ---------------------------------------------------------------------------- model

def new_head_model():
    """``BertForMaskedLM`` with the embedded MiniLM's encoder, the decoder tied to its word embeddings."""
    from transformers import AutoTokenizer, BertForMaskedLM

    from robustprune.models.registry import embedded_model_dir

    import transformers

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # "some weights were newly initialised": the head, on purpose
    try:
        model = BertForMaskedLM.from_pretrained(str(embedded_model_dir()))
    finally:
        transformers.logging.set_verbosity(verbosity)
    tokenizer = AutoTokenizer.from_pretrained(str(embedded_model_dir()))
    transform = model.cls.predictions.transform
    with torch.no_grad():
        transform.dense.weight.copy_(torch.eye(transform.dense.weight.shape[0]))
        transform.dense.bias.zero_()
        model.cls.predictions.bias.zero_()
    assert model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr()
    return model, tokenizer


def head_parameters(model) -> list[torch.nn.Parameter]:
    """The head's own parameters (transform and output bias): all that is fitted. The encoder, and with it the
    tied decoder matrix, stays frozen."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    head = [parameter for name, parameter in model.cls.predictions.named_parameters() if name != "decoder.weight"]
    for parameter in head:
        parameter.requires_grad_(True)
    return head


@torch.no_grad()
def masked_features(model, tokenizer, windows: list[list[str]], fit: HeadFit, generator: random.Random,
                    progress: Progress = silent, batch_size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """(final hidden states at the masked positions, their true piece ids), one masking per text."""
    features, targets = [], []
    batches = range(0, len(windows), batch_size)
    for step, start in enumerate(batches, 1):
        input_ids, attention_mask, labels = whole_word_mask(tokenizer, windows[start:start + batch_size], fit,
                                                            generator)
        hidden = model.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        chosen = labels != -100
        features.append(hidden[chosen])
        targets.append(labels[chosen])
        progress("masked LM: encode", step, len(batches))
    return torch.cat(features), torch.cat(targets)


def fit_head(fit: HeadFit = HeadFit(), progress: Progress = silent):
    """(model, tokenizer, losses): the head fitted on the frozen encoder's masked-position states."""
    torch.manual_seed(fit.seed)
    generator = random.Random(fit.seed)
    model, tokenizer = new_head_model()
    model.eval()
    windows, _ = training_texts(fit.max_length, tokenizer)
    generator.shuffle(windows)
    features, targets = masked_features(model, tokenizer, windows[:fit.texts], fit, generator, progress)
    parameters = head_parameters(model)
    optimiser = torch.optim.Adam(parameters, lr=fit.learning_rate)
    steps = fit.epochs * math.ceil(len(targets) / fit.batch_positions)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 0.5 * (1 + math.cos(math.pi * step / steps)))
    losses = []
    for epoch in range(fit.epochs):
        order = torch.randperm(len(targets), generator=torch.Generator().manual_seed(fit.seed + epoch))
        for start in range(0, len(order), fit.batch_positions):
            rows = order[start:start + fit.batch_positions]
            loss = torch.nn.functional.cross_entropy(model.cls(features[rows]), targets[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            progress("masked LM: fit", len(losses), steps)
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    return model.eval(), tokenizer, losses


# ---------------------------------------------------------------------------- measurement

@torch.no_grad()
def fill_mask_accuracy(model, tokenizer, sentences: list[str], k: int = 10, seed: int = 0,
                       batch_size: int = 64) -> dict:
    """Share of held-out sentences whose masked word (see module docstring) is in the top ``k``."""
    from robustprune.attack.resources import stopword_list

    stopwords = stopword_list().words
    generator = random.Random(seed)
    masked, targets, words_masked = [], [], []
    for sentence in sentences:
        words = sentence.split()
        candidates = [i for i, word in enumerate(words)
                      if word.isalpha() and word.lower() not in stopwords and len(tokenizer.tokenize(word)) == 1]
        if not candidates:
            continue
        position = generator.choice(candidates)
        masked.append(" ".join(words[:position] + [tokenizer.mask_token] + words[position + 1:]))
        targets.append(tokenizer.convert_tokens_to_ids(tokenizer.tokenize(words[position])[0]))
        words_masked.append(words[position])
    model.eval()
    hits, examples = 0, []
    for start in range(0, len(masked), batch_size):
        encoded = tokenizer(masked[start:start + batch_size], return_tensors="pt", padding=True, truncation=True,
                            max_length=128)
        rows, columns = (encoded["input_ids"] == tokenizer.mask_token_id).nonzero(as_tuple=True)
        hidden = model.bert(**encoded).last_hidden_state
        top = model.cls(hidden[rows, columns]).topk(k).indices
        for row, guesses in zip(rows.tolist(), top.tolist()):
            index = start + row
            hits += targets[index] in guesses
            if len(examples) < 5:
                examples.append({"sentence": masked[index], "word": words_masked[index],
                                 "top": tokenizer.convert_ids_to_tokens(guesses)})
    return {"top_k": k, "accuracy": hits / len(masked) if masked else 0.0, "sentences": len(masked),
            "examples": examples}


# ---------------------------------------------------------------------------- the cached head

def ensure_head(fit: HeadFit = HeadFit(), progress: Progress = silent) -> Path:
    """The fitted head's checkpoint folder, fitted (minutes on a CPU) and measured on first use."""
    folder = head_dir(fit)
    if (folder / "fit.json").exists():
        return folder
    started = time.perf_counter()
    model, tokenizer, losses = fit_head(fit, progress)
    seconds = time.perf_counter() - started
    _, heldout = training_texts(fit.max_length, tokenizer)
    measured = fill_mask_accuracy(model, tokenizer, heldout)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.") as scratch:
        staging = Path(scratch) / "out"
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        record = {"name": NAME, "fit": asdict(fit), "seconds": round(seconds, 1), "fill_mask": measured,
                  "loss_first_100": sum(losses[:100]) / max(1, len(losses[:100])),
                  "loss_last_100": sum(losses[-100:]) / max(1, len(losses[-100:]))}
        (staging / "fit.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
        if not folder.exists():
            os.replace(staging, folder)
    return folder


def head_record(folder: Path) -> dict:
    return json.loads((folder / "fit.json").read_text(encoding="utf-8"))


def accepted_head(fit: HeadFit = HeadFit()) -> Path | None:
    """The cached head's folder if one was fitted (``ensure_head``) and reached ``ACCEPT_TOP10``; never fits."""
    folder = head_dir(fit)
    if not (folder / "fit.json").exists():
        return None
    return folder if head_record(folder)["fill_mask"]["accuracy"] >= ACCEPT_TOP10 else None


# ---------------------------------------------------------------------------- the masked LM BERT-Attack uses

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
        from robustprune.hub import hub_reachable

        for local_only in (True, False) if hub_reachable() else (True,):
            try:
                model = AutoModelForMaskedLM.from_pretrained(HUB_MLM, local_files_only=local_only)
                tokenizer = AutoTokenizer.from_pretrained(HUB_MLM, local_files_only=local_only)
                return model, tokenizer, HUB_MLM
            except (OSError, ValueError):
                continue
        head = accepted_head()
        if head is not None:
            return AutoModelForMaskedLM.from_pretrained(str(head)), AutoTokenizer.from_pretrained(str(head)), NAME
        raise RobustPruneError(
            f"BERT-Attack needs a masked language model: {HUB_MLM} is not in the local Hugging Face "
            "cache and the hub cannot be reached, no package registry is known to ship a masked LM, and a head "
            f"fitted offline on the embedded MiniLM does not reach {ACCEPT_TOP10:.0%} fill-mask accuracy; "
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
