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

It also keeps the tables' DynamoDB streams as DynamoDB does (the hub's `fold` reads the stream):

  3. a cancelled transaction leaves no stream record: the records its applied items and the
     restoring of the backups emitted are dropped again (stock moto's whole-table restore did that
     by accident; item backups would otherwise leave phantom INSERT/MODIFY/REMOVE records), and
     DynamoDB Streams requests take the same lock, so no reader sees them in the meantime;
  4. a write that changes nothing (a put or update leaving the item as it was) emits no record,
     as DynamoDB documents ("If you perform a PutItem or UpdateItem operation that does not change
     any data in an item, DynamoDB Streams does not write a stream record");
  5. shard iterators are forgotten after a while (DynamoDB's expire after 15 minutes): moto keeps
     every one it hands out, and a poller asking every 100 ms would grow it without bound.

Every item written by a successful transaction emits its stream record as a single write does
(moto's transaction applies its items through the same put_item/update_item/delete_item).

Usage: python3 infra/local/moto-server.py -H 127.0.0.1 -p PORT  (infra/local/moto.ts startMoto runs it)
"""

import argparse
import copy
import signal
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
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


def _stream_lengths(backend, transact_items):
    """How many records each touched table's stream holds before the transaction."""
    lengths = {}
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            table = backend.get_table(op["TableName"])
        except Exception:
            continue
        if table.stream_shard is not None:
            lengths[table.name] = (table.stream_shard, len(table.stream_shard.items))
    return lengths


def _transact_write_items(self, transact_items):
    streams = _stream_lengths(self, transact_items)
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
        # DynamoDB writes nothing to the stream for a cancelled transaction. Sequence numbers are
        # positions in the shard, so cutting back to the length before hands out the same numbers
        # again, which no reader has seen (the lock covers DynamoDB Streams requests too).
        for shard, length in streams.values():
            del shard.items[length:]
        raise


DynamoDBBackend.transact_write_items = _transact_write_items

_original_shard_add = StreamShard.add


def _shard_add(self, old, new):
    if old is not None and new is not None and old.to_json() == new.to_json():
        return
    _original_shard_add(self, old, new)


StreamShard.add = _shard_add

# far more than any reader holds at once; the oldest are dropped first (dicts keep insertion order)
_MAX_SHARD_ITERATORS = 10_000
_original_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator
_original_get_records = DynamoDBStreamsBackend.get_records


def _forget_old_iterators(backend):
    its = backend.shard_iterators
    while len(its) > _MAX_SHARD_ITERATORS:
        del its[next(iter(its))]


def _get_shard_iterator(self, *args, **kwargs):
    it = _original_get_shard_iterator(self, *args, **kwargs)
    _forget_old_iterators(self)
    return it


def _get_records(self, *args, **kwargs):
    result = _original_get_records(self, *args, **kwargs)
    _forget_old_iterators(self)
    return result


DynamoDBStreamsBackend.get_shard_iterator = _get_shard_iterator
DynamoDBStreamsBackend.get_records = _get_records

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
        # DynamoDB_20120810.* and DynamoDBStreams_20120810.*: one lock, so a stream read never sees
        # a transaction half applied (or the records of one about to be cancelled)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(("DynamoDB_", "DynamoDBStreams_")):
            with _dynamodb_lock:
                return list(moto_app(environ, start_response))
        return moto_app(environ, start_response)

    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
