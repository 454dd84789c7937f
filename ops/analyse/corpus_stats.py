"""Corpus statistics: how often items' words occur, how two sources differ, and whether
their surface alone tells them apart.

    statistic: frequency   for each item of `items`, counts in `corpus` of its phrase
                           (`phrase: FIELD`), or of `pattern` filled with `first` and
                           `second` in both orders ("salt and pepper" vs "pepper and
                           salt"); whole words, optionally case-folded; with quantile
                           bins, to join with scored items by `item`
    statistic: divergence  unigram and bigram KL between the word distributions of
                           `corpus` (P) and `other` (Q), add-`smoothing` smoothed over
                           their joint vocabulary, both ways, and Jensen-Shannon
    statistic: classifier  held-out accuracy of a bag-of-words logistic regression
                           telling records of `corpus` from records of `other` (one
                           source, or a list: a k-way classifier "which source is this
                           record from?"), seeded stratified k-fold: near chance = the
                           sources share their surface; near 1 = surface statistics
                           separate them

Words are runs of letters, digits and apostrophes (`\\w+('\\w+)?`). A plain-text
source is one record per line.

Output, frequency (one row per item, the items' columns carried alongside):
    item, count (phrase) or count_ab, count_ba, total, log_ratio (pattern),
    per_million (total per million corpus words), quantile (rank of total in [0, 1]),
    freq_bin (quantile bin of total, 0 = rarest .. bins-1; ties share a bin)
Output, divergence (one row per n in 1, 2):
    n, kl_pq, kl_qp, js, types_p, types_q, tokens_p, tokens_q
Output, classifier (one row per record, each held out once):
    item (0-based over corpus then each `other` source, in order), source (0 = corpus,
    i = the i-th of `other`), fold, predicted, correct (1 when predicted == source),
    accuracy (of the record's fold), n_test (the fold's size), majority (the fold's
    majority-class rate in training: the accuracy of always guessing it).
    Per-record rows let a hypothesis test the pooled held-out accuracy with an exact
    binomial test over records (`mean(x.correct)`, `test: {method: binomial}`).

Memory: `frequency` reads the corpus in batches of records (a streamed hub corpus of
billions of tokens is never held whole); the other statistics hold their sources' texts.

Cost: CPU only (passes over the texts), no model FLOPs.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Iterable, Iterator, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from .._common import ITEMS_COLUMN, Seed, TextField, data_pass_cost, differs_from, placeholders
from .._op import Cost, CostContext, DataRef, Op, OpParams

if TYPE_CHECKING:
    import pandas as pd

WORD = re.compile(r"\w+(?:'\w+)?")


class Params(OpParams):
    statistic: Literal["frequency", "divergence", "classifier"] = Field(
        default="frequency", description="Which statistic (see the op's doc).")
    corpus: DataRef = Field(description=(
        "Text to count in (frequency; usually the models' training data), or the first "
        "of the two sources compared (divergence, classifier)."))
    text_field: TextField = "text"
    other: DataRef | list[DataRef] | None = Field(default=None, description=(
        "The second source (divergence, classifier); for the classifier also a list of "
        "sources, each its own class."))
    other_field: str = Field(default="text", min_length=1, description=(
        "Record field holding the text of `other` (ignored for plain-text files)."))
    items: DataRef | None = Field(default=None, description="Items whose phrases are counted (frequency).")
    phrase: Annotated[str | None, ITEMS_COLUMN] = Field(default=None, min_length=1, description=(
        "Field of each item holding a word or phrase to count as written."))
    first: Annotated[str | None, ITEMS_COLUMN] = Field(default=None, min_length=1, description=(
        "Field holding word A of a pair (with `second` and `pattern`)."))
    second: Annotated[str | None, ITEMS_COLUMN, differs_from("first")] = Field(
        default=None, min_length=1, description="Field holding word B of a pair.")
    pattern: str = Field(default="{first} and {second}", description=(
        "Phrase counted for pairs, with {first} and {second} where the words go; counted "
        "once as written and once with the words swapped."))
    lowercase: bool = Field(default=True, description=(
        "Match case-insensitively (default), so sentence-initial words count too."))
    bins: int = Field(default=5, gt=0, description=(
        "Frequency bins (quantiles of the count). 1 disables binning."))
    smoothing: float = Field(default=1.0, gt=0.0, description=(
        "Add-k smoothing of the divergence's counts over the joint vocabulary."))
    folds: int = Field(default=5, ge=2, description="Cross-validation folds of the classifier.")
    seed: Seed = None

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        names = placeholders(value, "pattern")
        if sorted(names) != ["first", "second"]:
            raise ValueError("pattern must contain {first} and {second} once each, and no "
                             f"other placeholder; got {names}")
        return value

    @model_validator(mode="after")
    def _needs(self) -> "Params":
        if self.statistic == "frequency":
            if self.items is None:
                raise ValueError("statistic frequency counts the phrases of `items`: set items")
            if (self.phrase is None) == (self.first is None or self.second is None):
                raise ValueError("set either `phrase` or both `first` and `second` (with pattern)")
        elif self.other is None:
            raise ValueError(f"statistic {self.statistic} compares two sources: set `other`")
        elif isinstance(self.other, list) and self.statistic != "classifier":
            raise ValueError("only the classifier compares several sources: give divergence one `other`")
        return self

    @property
    def others(self) -> list[str]:
        return [] if self.other is None else self.other if isinstance(self.other, list) else [self.other]


def words(text: str, lowercase: bool) -> list[str]:
    return WORD.findall(text.lower() if lowercase else text)


def records(ctx, name: str, field: str) -> list[str]:
    ds = ctx.data(name)
    column = "text" if ctx.data_kind(name) == "text" else field
    if column not in ds.column_names:
        raise KeyError(f"data source {name!r} has no field {column!r} (it has {', '.join(ds.column_names)})")
    return [str(t) for t in ds[column]]


def streamed_records(ctx, name: str, field: str, batch: int = 1000) -> Iterator[str]:
    """The texts of a source one batch at a time: a frequency count over a training corpus
    of billions of tokens (a streamed hub data set) never holds the corpus in memory."""
    ds = ctx.data(name)
    column = "text" if ctx.data_kind(name) == "text" else field
    names = ds.column_names   # None for a streamed data set whose features are not resolved yet
    if names is not None and column not in names:
        raise KeyError(f"data source {name!r} has no field {column!r} (it has {', '.join(names)})")
    for rows in ds.iter(batch_size=batch):
        yield from (str(t) for t in rows[column])


def run(p: Params, ctx) -> "pd.DataFrame":
    if p.statistic == "frequency":
        return frequency(p, ctx, streamed_records(ctx, p.corpus, p.text_field))
    texts = records(ctx, p.corpus, p.text_field)
    others = [records(ctx, name, p.other_field) for name in p.others]
    return divergence(p, texts, others[0]) if p.statistic == "divergence" else classifier(p, [texts, *others])


def ngram_counts(texts: list[str], n: int, lowercase: bool) -> Counter:
    counts: Counter = Counter()
    for text in texts:
        w = words(text, lowercase)
        counts.update(zip(*(w[i:] for i in range(n))))
    return counts


def frequency(p: Params, ctx, texts: Iterable[str]) -> "pd.DataFrame":
    import pandas as pd

    from ..eval._items import with_item_columns
    items = ctx.data(p.items).to_pandas().reset_index(drop=True)
    phrases = ([[str(v)] for v in items[p.phrase]] if p.phrase else
               [[p.pattern.format(first=a, second=b), p.pattern.format(first=b, second=a)]
                for a, b in zip(items[p.first], items[p.second])])
    wanted = {tuple(words(ph, p.lowercase)) for pair in phrases for ph in pair}
    lengths = {len(w) for w in wanted if w}
    counts: Counter = Counter()
    total_words = 0
    for text in texts:   # one pass; only n-grams of the lengths asked for are counted
        w = words(text, p.lowercase)
        total_words += len(w)
        for n in lengths:
            counts.update(g for g in zip(*(w[i:] for i in range(n))) if g in wanted)
    found = [[counts[tuple(words(ph, p.lowercase))] for ph in pair] for pair in phrases]
    table = pd.DataFrame({"item": np.arange(len(items))})
    if p.phrase:
        table["count"] = [f[0] for f in found]
        total = table["count"]
    else:
        table["count_ab"] = [f[0] for f in found]
        table["count_ba"] = [f[1] for f in found]
        table["total"] = table["count_ab"] + table["count_ba"]
        table["log_ratio"] = np.log((table["count_ab"] + 1) / (table["count_ba"] + 1))
        total = table["total"]
    table["per_million"] = total / max(total_words, 1) * 1e6
    table["quantile"] = total.rank(method="average", pct=True) if len(total) else total
    table["freq_bin"] = _bins(total.to_numpy(), p.bins)
    ctx.record(corpus_words=total_words)
    return with_item_columns(table, items, ctx)


def _bins(values: np.ndarray, bins: int) -> np.ndarray:
    """Quantile bin of each value (0 = rarest); equal values always share a bin."""
    if bins == 1 or len(values) == 0:
        return np.zeros(len(values), dtype=np.int64)
    edges = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    return np.searchsorted(edges, values, side="right").astype(np.int64)


def divergence(p: Params, texts: list[str], other: list[str]) -> "pd.DataFrame":
    import pandas as pd
    rows = []
    for n in (1, 2):
        cp, cq = ngram_counts(texts, n, p.lowercase), ngram_counts(other, n, p.lowercase)
        vocab = list(set(cp) | set(cq))
        a = np.array([cp[g] for g in vocab], dtype=np.float64) + p.smoothing
        b = np.array([cq[g] for g in vocab], dtype=np.float64) + p.smoothing
        P, Q = a / a.sum(), b / b.sum()
        M = (P + Q) / 2
        rows.append({"n": n, "kl_pq": float(np.sum(P * np.log(P / Q))), "kl_qp": float(np.sum(Q * np.log(Q / P))),
                     "js": float(0.5 * np.sum(P * np.log(P / M)) + 0.5 * np.sum(Q * np.log(Q / M))),
                     "types_p": len(cp), "types_q": len(cq),
                     "tokens_p": int(sum(cp.values())), "tokens_q": int(sum(cq.values()))})
    return pd.DataFrame(rows)


def classifier(p: Params, sources: list[list[str]]) -> "pd.DataFrame":
    import pandas as pd
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    docs = [text for texts in sources for text in texts]
    y = np.concatenate([np.full(len(texts), k) for k, texts in enumerate(sources)]).astype(np.int64)
    if min(len(texts) for texts in sources) < p.folds:
        raise ValueError(f"each source needs at least {p.folds} records for {p.folds} folds "
                         f"(got {', '.join(str(len(t)) for t in sources)})")
    frames = []
    splitter = StratifiedKFold(p.folds, shuffle=True, random_state=p.seed)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        vectorizer = CountVectorizer(lowercase=p.lowercase, token_pattern=WORD.pattern)
        x_train = vectorizer.fit_transform([docs[i] for i in train])
        model = LogisticRegression(max_iter=2000).fit(x_train, y[train])
        predicted = model.predict(vectorizer.transform([docs[i] for i in test]))
        majority = np.bincount(y[train]).max() / len(train)
        correct = (predicted == y[test]).astype(np.int64)
        frames.append(pd.DataFrame({"item": test, "source": y[test], "fold": k, "predicted": predicted,
                                    "correct": correct, "accuracy": float(correct.mean()),
                                    "n_test": len(test), "majority": float(majority)}))
    return pd.concat(frames, ignore_index=True).sort_values("item", ignore_index=True)


def columns(p: Params) -> tuple[str, ...]:
    if p.statistic == "divergence":
        return ("n", "kl_pq", "kl_qp", "js", "types_p", "types_q", "tokens_p", "tokens_q")
    if p.statistic == "classifier":
        return ("item", "source", "fold", "predicted", "correct", "accuracy", "n_test", "majority")
    counts = ("count",) if p.phrase else ("count_ab", "count_ba", "total", "log_ratio")
    return ("item", *counts, "per_million", "quantile", "freq_bin")


def cost(p: Params, ctx: CostContext) -> Cost:
    return data_pass_cost(ctx, p.corpus, "CPU passes over the texts; no model FLOPs")


def item_sources(params: dict) -> list[str]:
    """What the output's rows are records of: the classifier's, every record of `corpus` and of
    each `other` (each held out once); frequency's, the items; divergence's rows are n-gram
    orders, no records."""
    if params.get("statistic") == "classifier":
        other = params.get("other")
        return [params["corpus"], *(other if isinstance(other, list) else [other])]
    if params.get("statistic", "frequency") == "frequency" and params.get("items"):
        return [params["items"]]
    return []


OP = Op(name="analyse.corpus_stats", version=4, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="items", item_sources=item_sources, run=run)
