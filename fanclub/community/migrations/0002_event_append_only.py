from django.db import migrations

# Engagement events are a log for later learning: rows are inserted, never changed. Deletion stays
# possible (a user's erasure cascades to their events).
SQL = """
CREATE FUNCTION community_event_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'community_engagementevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER community_event_append_only BEFORE UPDATE ON community_engagementevent
    FOR EACH ROW EXECUTE FUNCTION community_event_no_update();
"""
REVERSE = """
DROP TRIGGER IF EXISTS community_event_append_only ON community_engagementevent;
DROP FUNCTION IF EXISTS community_event_no_update();
"""


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
