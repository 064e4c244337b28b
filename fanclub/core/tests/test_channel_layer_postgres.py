"""Zero-setup mode (no Redis) delivers WebSocket events across processes through PostgreSQL."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels_postgres import db as channels_postgres_db
from channels_postgres.core import PostgresChannelLayer
from django.db import connection, connections


def _layer() -> PostgresChannelLayer:
    # The same configuration settings.py builds without REDIS_URL, pointed at the test database.
    return PostgresChannelLayer(**connection.settings_dict)


@pytest.mark.django_db(transaction=True, databases=["default", "channels_postgres"])
async def test_group_message_crosses_layer_instances() -> None:
    """Two layer instances stand for two processes (gunicorn publishing, uvicorn holding the socket)."""
    receiver_side, sender_side = _layer(), _layer()
    try:
        await _exchange(receiver_side, sender_side)
    finally:
        # The layer keeps a process-wide connection pool; close it so the test database can be dropped.
        pool = channels_postgres_db.connection_pool
        if pool is not None:
            async with pool.connection() as conn:
                # The listener task stops on this payload (channels_postgres protocol).
                await conn.execute("NOTIFY channels_postgres_messages, '1:shutdown'")
            await asyncio.sleep(0.5)
            await pool.close()
            channels_postgres_db.connection_pool = None
        # group_discard used the ORM in asgiref's worker thread; close that thread's connections.
        await sync_to_async(connections.close_all)()


async def _exchange(receiver_side: PostgresChannelLayer, sender_side: PostgresChannelLayer) -> None:
    channel = await receiver_side.new_channel()
    await receiver_side.group_add("user.42", channel)

    await sender_side.group_send("user.42", {"type": "user.event", "payload": {"n": 1}})

    message = await asyncio.wait_for(receiver_side.receive(channel), timeout=10)
    assert message == {"type": "user.event", "payload": {"n": 1}}
    await receiver_side.group_discard("user.42", channel)
    await sender_side.group_send("user.42", {"type": "user.event", "payload": {"n": 2}})
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(receiver_side.receive(channel), timeout=1.5)
