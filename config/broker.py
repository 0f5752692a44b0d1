"""kombu's Redis transport, with a channel that does not crash the worker after a lost connection.

kombu 5.7.0 detaches the transport from its connection (``transport.client = None``) when
a lost connection is collected. A channel closed after that still tries to put its
unacknowledged messages back, builds a new Redis client from the detached connection info
and raises ``AttributeError: 'NoneType' object has no attribute 'hostname'``, which Celery
treats as unrecoverable: the worker exits ("Restoring N unacknowledged message(s)" is the
last line it logs). Nothing is lost by skipping that restore: the messages stay in Redis's
unacked set, the next connection restores them after the visibility timeout, and the outbox
re-dispatch sends what is still pending long before that.
"""

from kombu.transport import redis


class QoS(redis.QoS):
    def restore_unacked_once(self, stderr=None):
        transport = self.channel.connection
        if transport is None or transport.client is None:
            self._on_collect.cancel()
            self._delivered.clear()
            self._delivered.restored = True
            return None
        return super().restore_unacked_once(stderr)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
