"""moto_server with requests served one at a time.

moto's DynamoDB transactions apply their items one by one and, when a condition fails, restore a
copy of the whole table taken when they started. Under moto_server's threaded server two
concurrent transactions are therefore not isolated: a cancelled one can erase what a successful
one wrote meanwhile. Real DynamoDB transactions are serialisable. Serving one request at a time
(one lock around moto's own WSGI application; keep-alive connections still work) gives that
isolation back, so tests of "one DMP per INS under concurrency" test our code, not the emulator.

It also answers GET /dmp-local/sms[?to=+33...]: the SMS the emulator recorded, as JSON, without
serialising the whole emulator state the way /moto-api/data.json does (that dump holds every
table's items, documents of megabytes included, and grew slower with every test).

Usage: python3 bin/moto_server.py -H 127.0.0.1 -p PORT
"""
import argparse
import json
import signal
import sys
import threading
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def recorded_sms(environ, start_response):
        from moto.sns.models import sns_backends

        wanted = parse_qs(environ.get("QUERY_STRING", "")).get("to", [None])[0]
        items = [
            {"message_id": message_id, "phone_number": phone, "message": message}
            for regions in sns_backends.values()
            for backend in regions.values()
            for message_id, (phone, message) in backend.sms_messages.items()
            if wanted is None or phone == wanted
        ]
        body = json.dumps({"items": items}).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def serialised(environ, start_response):
        with lock:
            if environ.get("PATH_INFO") == "/dmp-local/sms":
                return recorded_sms(environ, start_response)
            # moto builds whole responses: materialise the body inside the lock.
            return list(app(environ, start_response))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    run_simple(args.host, args.port, serialised, threaded=True)


if __name__ == "__main__":
    main()
