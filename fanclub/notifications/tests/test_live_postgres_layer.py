"""Without Redis, fan-out sends live events only to recipients holding a socket (PostgreSQL layer)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels_postgres import db as channels_postgres_db
from channels_postgres.core import PostgresChannelLayer
from django.db import connection, connections

from fanclub.core.consumers import user_group
from fanclub.notifications import fanout


@pytest.mark.django_db(transaction=True, databases=["default", "channels_postgres"])
async def test_only_online_recipients_are_sent_to() -> None:
    layer = PostgresChannelLayer(**connection.settings_dict)
    try:
        channel = await layer.new_channel()
        await layer.group_add(user_group(42), channel)

        online = await sync_to_async(fanout.online_user_ids)(layer=layer, user_ids=[41, 42, 43])

        assert online == {42}
        assert fanout.online_user_ids(layer=object(), user_ids=[41]) is None  # Redis: unknown, send all
    finally:
        pool = channels_postgres_db.connection_pool
        if pool is not None:
            async with pool.connection() as conn:
                await conn.execute("NOTIFY channels_postgres_messages, '1:shutdown'")
            await asyncio.sleep(0.5)
            await pool.close()
            channels_postgres_db.connection_pool = None
        await sync_to_async(connections.close_all)()
