"""User × movie ratings with latent genres, for the RBM recommender (notes 003:1412-1524).

The notes' setting: people rate movies 1-5 stars; each movie is explained by latent factors
(fantasy, action, Pixar, ...); the ratings are binarised (liked or not), unrated movies get −1 so
the network ignores them, and the trained RBM predicts whether a user would like the movies they
have not seen. No public ratings set ships offline, so `ratings` is generated, with a fixed seed,
by a documented latent-genre model:

* 40 movies, 10 in each of 4 genres (fantasy, action, Pixar, drama), each with a quality qₘ ~ N(0, 0.5);
* each of 1200 users is a fan of one genre (two for a third of the users): affinity +2 for a
  fan's genre, −1.5 otherwise, plus a per-user generosity uᵤ ~ N(0, 0.3);
* score s = affinity + qₘ + uᵤ + N(0, 0.7) noise; stars = clip(round(3 + s), 1, 5); liked = stars ≥ 4;
* each user rated each movie with probability σ(−0.8 + 0.8·[fan of its genre] + popularityₘ)
  (popularityₘ ~ N(0, 0.5)): fans watch their genre more, as real viewers do; about 35% is rated.

Layout (task "recommendation"): `features` is (users, movies) float32 with 1 = liked, 0 = not liked
and −1 = no rating shown; `target` holds 20% of each user's ratings (at least one) hidden from the
features, −1 elsewhere — the held-out ratings a model must predict from the rest. The 1-5 stars,
the genres and the latent preferences are kept in `extras`. Users are split 60/20/20.

`five_movies()` is the notes' own tiny example (003:1418-1419, 1516): Harry Potter, The Hobbit,
Fast and the Furious, Toy Story and Cars, a handful of users, and a fantasy fan who has not seen
The Hobbit.
"""

from __future__ import annotations

import numpy as np

from kerasdl.data import _options
from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["FIVE_MOVIES", "GENRES", "SPECS", "binarize", "five_movies", "load_ratings"]

GENRES = ("fantasy", "action", "Pixar", "drama")
MOVIES_PER_GENRE = 10
N_USERS = 1200
HELD_OUT = 0.2
LIKED_FROM = 4  # stars ≥ 4 is "liked"


def binarize(stars: np.ndarray, *, liked_from: int = LIKED_FROM) -> np.ndarray:
    """1-5 stars → 1 (liked, ≥ `liked_from`) or 0 (not liked); 0 stars (unrated) → −1 (003:1437)."""
    stars = np.asarray(stars)
    return np.where(stars <= 0, -1.0, (stars >= liked_from).astype(np.float64)).astype(np.float32)


def _stars(rng: np.random.Generator, n_users: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    n_movies = MOVIES_PER_GENRE * len(GENRES)
    genre = np.repeat(np.arange(len(GENRES)), MOVIES_PER_GENRE)
    quality = rng.normal(0.0, 0.5, n_movies)
    popularity = rng.normal(0.0, 0.5, n_movies)
    fan = np.zeros((n_users, len(GENRES)), dtype=bool)
    fan[np.arange(n_users), rng.integers(0, len(GENRES), n_users)] = True
    second = rng.random(n_users) < 1 / 3
    fan[np.flatnonzero(second), rng.integers(0, len(GENRES), int(second.sum()))] = True
    affinity = np.where(fan, 2.0, -1.5)
    generosity = rng.normal(0.0, 0.3, n_users)
    score = affinity[:, genre] + quality + generosity[:, None] + rng.normal(0.0, 0.7, (n_users, n_movies))
    stars = np.clip(np.rint(3 + score), 1, 5).astype(np.int64)
    rated = rng.random((n_users, n_movies)) < 1 / (1 + np.exp(-(-0.8 + 0.8 * fan[:, genre] + popularity)))
    stars[~rated] = 0
    return stars, {"genre": genre, "fan": fan, "quality": quality, "popularity": popularity}


def load_ratings(*, seed: int = 0, n_users: int = N_USERS) -> Dataset:
    """The generated ratings (see the module docstring); the same seed gives the same users."""
    n_users = _options.positive_int("ratings", "n_users", n_users, minimum=20)
    rng = np.random.default_rng([seed, 1412])
    stars, latent = _stars(rng, n_users)
    liked = binarize(stars)
    features, target = liked.copy(), np.full_like(liked, -1.0)
    for user in range(n_users):  # hide 20% of each user's ratings (at least one) as the held-out target
        rated = np.flatnonzero(stars[user] > 0)
        if len(rated) < 2:
            continue
        hidden = rng.choice(rated, size=max(1, int(round(HELD_OUT * len(rated)))), replace=False)
        target[user, hidden], features[user, hidden] = liked[user, hidden], -1.0
    names = tuple(f"{GENRES[g]} {i % MOVIES_PER_GENRE + 1}" for i, g in enumerate(latent["genre"]))
    return RATINGS.dataset(features=features, target=target,
                           splits=holdout_splits(np.zeros(n_users), "recommendation", seed=seed),
                           extras={"stars": stars, "movie_names": names, **latent})


# --- the notes' five movies -------------------------------------------------------------------------
FIVE_MOVIES = ("Harry Potter", "The Hobbit", "Fast and the Furious", "Toy Story", "Cars")
_FIVE_GENRE = ("fantasy", "fantasy", "action", "Pixar", "Pixar")


def five_movies(*, users_per_taste: int = 20, seed: int = 0) -> dict[str, np.ndarray | tuple]:
    """A tiny binary ratings matrix over the notes' five movies, and the notes' question.

    Three tastes (fantasy, action, Pixar) × `users_per_taste` users; a user likes (1) the movies of
    their taste, does not like (0) the others, and each rating is flipped with probability 0.1 (people
    are not consistent); each user left one random movie unrated (−1). The question (003:1516): a
    user who liked Harry Potter, did not like Fast and the Furious or Cars, and has not seen The
    Hobbit or Toy Story — would they like The Hobbit? Returns {"ratings", "genres", "movies", "question"}.
    """
    rng = np.random.default_rng([seed, 1516])
    tastes = ("fantasy", "action", "Pixar")
    rows = []
    for taste in tastes:
        for _ in range(users_per_taste):
            liked = np.array([g == taste for g in _FIVE_GENRE], dtype=np.float32)
            flip = rng.random(len(liked)) < 0.1
            liked[flip] = 1 - liked[flip]
            liked[rng.integers(0, len(liked))] = -1.0
            rows.append(liked)
    question = np.array([1, -1, 0, -1, 0], dtype=np.float32)
    return {"ratings": np.stack(rows), "genres": _FIVE_GENRE, "movies": FIVE_MOVIES, "question": question}


RATINGS = DatasetSpec(
    name="ratings", task="recommendation", n_samples=N_USERS, origin="generated",
    description=("1200 users x 40 movies (4 latent genres), liked (1) / not liked (0) / unshown (-1); target: "
                 "20% of each user's ratings hidden from the features, -1 elsewhere. 1-5 stars in extras."),
    provenance=("Generated in kerasdl.data.ratings from a latent-genre model (genre fans, movie quality and "
                "popularity, user generosity, noise; stars >= 4 = liked), numpy.random.default_rng([seed, 1412]); "
                "no real users."),
    license="CC0 (generated by this package)",
    loader=load_ratings)

SPECS = (RATINGS,)
