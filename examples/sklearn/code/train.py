"""Train a digits classifier on the dataset mounted at /data/digits.

Writes /out/model.pkl, /out/predictions.csv and /out/metrics.json
(accuracy, and train_seconds: a timing, which .repro.yaml lets differ).
"""
import argparse
import csv
import json
import pickle
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

p = argparse.ArgumentParser()
p.add_argument("--model", choices=["forest", "logreg"], default="forest")
p.add_argument("--n-jobs", type=int, default=1)
p.add_argument("--seed", type=int, default=7)
p.add_argument("--data", default="/data/digits/digits.csv")
p.add_argument("--out", default="/out")
a = p.parse_args()

start = time.monotonic()
table = np.loadtxt(a.data, delimiter=",", skiprows=1, dtype=np.int64)
X, y = table[:, :-1].astype(np.float64), table[:, -1]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=a.seed, stratify=y)
if a.model == "forest":
    model = RandomForestClassifier(n_estimators=200, n_jobs=a.n_jobs, random_state=a.seed)
else:
    model = LogisticRegression(max_iter=5000)
model.fit(X_train, y_train)
predicted = model.predict(X_test)
accuracy = float((predicted == y_test).mean())

with open(f"{a.out}/model.pkl", "wb") as f:
    pickle.dump(model, f, protocol=4)
with open(f"{a.out}/predictions.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["index", "label", "predicted"])
    for i, (t, q) in enumerate(zip(y_test, predicted)):
        w.writerow([i, int(t), int(q)])
with open(f"{a.out}/metrics.json", "w") as f:
    json.dump({"accuracy": round(accuracy, 6), "train_seconds": round(time.monotonic() - start, 3)}, f, indent=2, sort_keys=True)
print(f"train: {a.model} (n_jobs {a.n_jobs}) accuracy {accuracy:.4f}")
