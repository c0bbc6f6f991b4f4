"""Write the digits data set (bundled with scikit-learn) as a CSV dataset.

Run as: repro run TRAINER --out DATA -- make_data.py
"""
import csv
import os

from sklearn.datasets import load_digits

out = os.environ.get("OUT", "/out")
digits = load_digits()
with open(os.path.join(out, "digits.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow([f"pixel{i}" for i in range(digits.data.shape[1])] + ["label"])
    for row, label in zip(digits.data, digits.target):
        w.writerow([int(v) for v in row] + [int(label)])
print(f"make_data: {len(digits.target)} images written to {out}/digits.csv")
