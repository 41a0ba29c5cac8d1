"""A small scoring server speaking MLflow's protocol (GET /ping, POST /invocations), for serving tests.

It fits scikit-learn's LinearRegression on the rows in <model>/training.json when it starts (so the test
needs no pickled model), then answers `dataframe_split`, `dataframe_records`, `inputs` and `instances`
with `{"predictions": [...]}` as `mlflow models serve` does. Debian's python3-sklearn provides sklearn.
"""
import argparse
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sklearn.linear_model import LinearRegression

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()

with open(f"{args.model}/training.json") as f:
    training = json.load(f)
columns = training["columns"]
model = LinearRegression().fit(training["X"], training["y"])


def rows_of(body):
    if "dataframe_split" in body:
        split = body["dataframe_split"]
        order = [split["columns"].index(c) for c in columns]
        return [[row[i] for i in order] for row in split["data"]]
    if "dataframe_records" in body:
        return [[r[c] for c in columns] for r in body["dataframe_records"]]
    return body.get("inputs", body.get("instances"))


class Handler(BaseHTTPRequestHandler):
    # Keep-alive and no Nagle delay, as MLflow's uvicorn server has: otherwise a benchmark measures connects and 40 ms ACK waits.
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/ping":
            self.reply(200, {})
        else:
            self.reply(404, {"error_code": "NOT_FOUND", "message": self.path})

    def do_POST(self):
        if self.path != "/invocations":
            return self.reply(404, {"error_code": "NOT_FOUND", "message": self.path})
        try:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            predictions = model.predict(rows_of(body)).tolist()
        except Exception as err:  # the scoring server's answer to input it cannot use
            return self.reply(400, {"error_code": "BAD_REQUEST", "message": str(err)})
        self.reply(200, {"predictions": predictions})

    def log_message(self, fmt, *a):
        sys.stderr.write("scoring: " + (fmt % a) + "\n")


print(f"fitted on {len(training['y'])} rows; listening on 127.0.0.1:{args.port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
