"""The creator's follower counter (``creators_creatorprofile.followers_count``), kept by the database.

Every statement that writes ``social_follow`` (a service, raw SQL, a bulk insert from
``generate_series``, a block ending follows, an account deletion's cascade) fires one statement-level
trigger that reads its transition table, groups it by creator and runs one UPDATE for all the
creators it touched, each row changed once: a 500,000-row insert costs one grouped join, not
500,000 row triggers.

- INSERT: +count per creator; DELETE: -count per creator.
- UPDATE (nothing in the code moves a follow, but the admin or SQL could): the net change per
  creator, old rows out and new rows in; creators whose net change is zero are not touched.
- TRUNCATE: every counter back to 0.
- A profile created for a user who already has follows (the model allows following any user; the
  API only follows creators) starts from the real count (BEFORE INSERT on the profile).

A follow of a user without a profile updates no row: nobody reads a count for them, and their
profile, if ever created, counts its follows then. The backfill runs under a SHARE lock on
social_follow (writers wait for this migration's commit), so the counts start exact.

Only these triggers write the column: a direct UPDATE of it (a profile ``save()`` holding a value
read before a follow, the admin) keeps the stored value (BEFORE UPDATE guard; ``pg_trigger_depth()``
tells the follow triggers' UPDATE apart), unless the transaction set
``fanclub.followers_count_repair = on``: the reconciliation job (``creators.services``).
"""

from django.db import migrations

SQL = r"""
CREATE FUNCTION social_follow_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE creators_creatorprofile p SET followers_count = p.followers_count + d.n
      FROM (SELECT creator_id, count(*) AS n FROM follow_new GROUP BY creator_id) d
     WHERE p.user_id = d.creator_id;
    RETURN NULL;
END $$;

CREATE FUNCTION social_follow_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE creators_creatorprofile p SET followers_count = p.followers_count - d.n
      FROM (SELECT creator_id, count(*) AS n FROM follow_old GROUP BY creator_id) d
     WHERE p.user_id = d.creator_id;
    RETURN NULL;
END $$;

CREATE FUNCTION social_follow_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE creators_creatorprofile p SET followers_count = p.followers_count + d.n
      FROM (SELECT creator_id, sum(n) AS n
              FROM (SELECT creator_id, 1 AS n FROM follow_new
                    UNION ALL SELECT creator_id, -1 FROM follow_old) moved
             GROUP BY creator_id HAVING sum(n) <> 0) d
     WHERE p.user_id = d.creator_id;
    RETURN NULL;
END $$;

CREATE FUNCTION social_follow_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE creators_creatorprofile SET followers_count = 0 WHERE followers_count <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER social_follow_count_insert AFTER INSERT ON social_follow
    REFERENCING NEW TABLE AS follow_new
    FOR EACH STATEMENT EXECUTE FUNCTION social_follow_count_insert();
CREATE TRIGGER social_follow_count_delete AFTER DELETE ON social_follow
    REFERENCING OLD TABLE AS follow_old
    FOR EACH STATEMENT EXECUTE FUNCTION social_follow_count_delete();
CREATE TRIGGER social_follow_count_update AFTER UPDATE ON social_follow
    REFERENCING OLD TABLE AS follow_old NEW TABLE AS follow_new
    FOR EACH STATEMENT EXECUTE FUNCTION social_follow_count_update();
CREATE TRIGGER social_follow_count_truncate AFTER TRUNCATE ON social_follow
    FOR EACH STATEMENT EXECUTE FUNCTION social_follow_count_truncate();

CREATE FUNCTION creators_profile_followers_count_init() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.followers_count := (SELECT count(*) FROM social_follow WHERE creator_id = NEW.user_id);
    RETURN NEW;
END $$;

CREATE TRIGGER creators_profile_followers_count_init BEFORE INSERT ON creators_creatorprofile
    FOR EACH ROW EXECUTE FUNCTION creators_profile_followers_count_init();

LOCK TABLE social_follow IN SHARE MODE;
UPDATE creators_creatorprofile p SET followers_count = c.n
  FROM (SELECT creator_id, count(*) AS n FROM social_follow GROUP BY creator_id) c
 WHERE p.user_id = c.creator_id AND p.followers_count <> c.n;

CREATE FUNCTION creators_profile_followers_count_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.followers_count IS DISTINCT FROM OLD.followers_count
       AND pg_trigger_depth() < 2
       AND coalesce(current_setting('fanclub.followers_count_repair', true), '') <> 'on' THEN
        NEW.followers_count := OLD.followers_count;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER creators_profile_followers_count_guard BEFORE UPDATE OF followers_count
    ON creators_creatorprofile FOR EACH ROW EXECUTE FUNCTION creators_profile_followers_count_guard();
"""

REVERSE = r"""
DROP TRIGGER creators_profile_followers_count_guard ON creators_creatorprofile;
DROP FUNCTION creators_profile_followers_count_guard();
DROP TRIGGER creators_profile_followers_count_init ON creators_creatorprofile;
DROP FUNCTION creators_profile_followers_count_init();
DROP TRIGGER social_follow_count_truncate ON social_follow;
DROP TRIGGER social_follow_count_update ON social_follow;
DROP TRIGGER social_follow_count_delete ON social_follow;
DROP TRIGGER social_follow_count_insert ON social_follow;
DROP FUNCTION social_follow_count_truncate();
DROP FUNCTION social_follow_count_update();
DROP FUNCTION social_follow_count_delete();
DROP FUNCTION social_follow_count_insert();
UPDATE creators_creatorprofile SET followers_count = 0 WHERE followers_count <> 0;
"""


class Migration(migrations.Migration):
    dependencies = [("social", "0003_fan_lists"), ("creators", "0002_followers_count")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
