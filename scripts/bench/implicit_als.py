"""The `implicit` library's ALS for `vitrine-tools eval recs`: a peer run on our split files.

Reads the training pairs (`user item` per line, dense indices), fits
AlternatingLeastSquares with the given hyper-parameters, and writes each asked-for user's top N
(items they met in training left out) as one line of space-separated item indices, in the order
of the query file. Metrics are computed by the Rust side, the same code as for every model.
A query line may carry the user's known items (`user: item item …`): such a user is not in the
training data and is folded in from them (`recalculate_user`), as a new shopper would be.
"""

import argparse
import os
import sys
import time

# implicit warns (and slows down) when OpenBLAS runs its own threads beside implicit's.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.sparse as sparse  # noqa: E402
from implicit.als import AlternatingLeastSquares  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--factors", type=int, required=True)
    parser.add_argument("--regularization", type=float, required=True)
    parser.add_argument("--alpha", type=float, required=True)
    parser.add_argument("--iterations", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()

    pairs = np.loadtxt(args.train, dtype=np.int64, ndmin=2)
    ones = np.ones(len(pairs), dtype=np.float32)
    user_items = sparse.csr_matrix(
        (ones, (pairs[:, 0], pairs[:, 1])), shape=(args.users, args.items)
    )
    model = AlternatingLeastSquares(
        factors=args.factors,
        regularization=args.regularization,
        alpha=args.alpha,
        iterations=args.iterations,
        random_state=args.seed,
        calculate_training_loss=False,
    )
    started = time.perf_counter()
    model.fit(user_items, show_progress=False)
    print(f"fit_seconds {time.perf_counter() - started:.4f}", file=sys.stderr)

    with open(args.queries) as queries, open(args.out, "w") as out:
        for line in queries:
            user_part, _, known_part = line.partition(":")
            user = int(user_part)
            if known_part.strip():
                known = np.array([int(i) for i in known_part.split()], dtype=np.int64)
                row = sparse.csr_matrix(
                    (np.ones(len(known), dtype=np.float32), (np.zeros(len(known)), known)),
                    shape=(1, args.items),
                )
                ids, _ = model.recommend(0, row, N=args.n, recalculate_user=True)
            else:
                ids, _ = model.recommend(user, user_items[user], N=args.n)
            out.write(" ".join(str(int(i)) for i in ids) + "\n")


if __name__ == "__main__":
    main()
