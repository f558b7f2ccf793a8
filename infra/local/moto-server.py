"""moto_server for the local hub, tests, bench and soak, with DynamoDB made safe under concurrent requests.

Stock moto 5 (checked with 5.2.1) serves requests on threads, and TransactWriteItems backs up by
deep-copying every table it touches (once per item of the transaction) and, when the transaction
is cancelled, puts that copy back in place of the table. So:

  * a write another request made between the copy and a cancelled transaction's rollback is
    silently undone (a plain UpdateItem ADD that was acknowledged disappears), and
  * every transaction costs O(table size), which makes a soak that fills the table quadratic.

The hub cancels transactions on purpose (conditional writes detect redeliveries and races), so a
soak against stock moto reports lost updates that are moto's, not the hub's. This launcher:

  1. serializes DynamoDB requests (each one atomic, as in DynamoDB; SQS and the rest stay
     threaded, so long polls do not block anything), and
  2. backs a transaction up item by item (the items it names) instead of table by table, and
     restores exactly those items when it is cancelled.

Usage: python3 infra/local/moto-server.py -H 127.0.0.1 -p PORT  (infra/local/moto.ts startMoto runs it)
"""

import argparse
import copy
import signal
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

_real_deepcopy = copy.deepcopy


class _CopyShim:
    """`copy` as moto's DynamoDB models see it: a whole table is no longer deep-copied (the
    transaction's item backups below replace that); everything else is copied as before."""

    @staticmethod
    def deepcopy(x, memo=None):
        if isinstance(x, Table):
            return x
        return _real_deepcopy(x, memo)


dynamodb_models.copy = _CopyShim

_original_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items(self, transact_items):
    backups = []
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table_name = op["TableName"]
            table = self.get_table(table_name)
            if op_type == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            current = self.get_item(table_name, key)
            backups.append((table_name, key, _real_deepcopy(current.to_json()["Attributes"]) if current else None))
        except Exception:
            # a malformed operation: the original implementation reports it
            pass
    try:
        return _original_transact_write_items(self, transact_items)
    except Exception:
        for table_name, key, attrs in reversed(backups):
            if attrs is None:
                try:
                    self.delete_item(table_name, key)
                except Exception:
                    pass
            else:
                self.put_item(table_name, attrs)
        raise


DynamoDBBackend.transact_write_items = _transact_write_items

_dynamodb_lock = threading.Lock()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()

    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _dynamodb_lock:
                return list(moto_app(environ, start_response))
        return moto_app(environ, start_response)

    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
