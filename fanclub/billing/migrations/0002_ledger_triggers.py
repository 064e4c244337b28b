"""Ledger rules the database enforces, whatever code writes to it.

- L1: a journal entry's postings sum to zero per currency, checked at COMMIT (deferred constraint
  trigger), so an entry is written posting by posting yet never commits unbalanced.
- L4: postings and journal entries are immutable (UPDATE and DELETE refused; corrections are new,
  reversing entries). TRUNCATE stays possible for test teardown and disaster recovery by a DBA.
- L8: a posting's currency is its account's currency.
- The cached balance of owner accounts is maintained by the insert trigger, in the same statement,
  so it can never drift from the postings; CHECK constraints on the account then refuse any
  posting that would take a wallet or creator balance below zero (L3).
"""

from django.db import migrations

SQL = r"""
CREATE FUNCTION billing_posting_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    account_currency varchar(3);
    account_owner bigint;
BEGIN
    SELECT currency, owner_id INTO account_currency, account_owner
      FROM billing_ledgeraccount WHERE id = NEW.account_id;
    IF account_currency IS DISTINCT FROM NEW.currency THEN
        RAISE EXCEPTION 'ledger: posting currency % differs from account % currency %',
            NEW.currency, NEW.account_id, account_currency USING ERRCODE = '23514';
    END IF;
    IF account_owner IS NOT NULL THEN
        UPDATE billing_ledgeraccount SET balance_minor = balance_minor + NEW.amount_minor
         WHERE id = NEW.account_id;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER billing_posting_before_insert BEFORE INSERT ON billing_posting
    FOR EACH ROW EXECUTE FUNCTION billing_posting_before_insert();

CREATE FUNCTION billing_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT currency, sum(amount_minor) AS total INTO unbalanced
      FROM billing_posting WHERE entry_id = NEW.entry_id
     GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: journal entry % does not balance in % (sum %)',
            NEW.entry_id, unbalanced.currency, unbalanced.total USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER billing_entry_balanced AFTER INSERT ON billing_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_entry_balanced();

CREATE FUNCTION billing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = '42501';
END $$;

CREATE TRIGGER billing_posting_immutable BEFORE UPDATE OR DELETE ON billing_posting
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER billing_entry_immutable BEFORE UPDATE OR DELETE ON billing_journalentry
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
"""

REVERSE = r"""
DROP TRIGGER billing_entry_immutable ON billing_journalentry;
DROP TRIGGER billing_posting_immutable ON billing_posting;
DROP FUNCTION billing_refuse_change();
DROP TRIGGER billing_entry_balanced ON billing_posting;
DROP FUNCTION billing_entry_balanced();
DROP TRIGGER billing_posting_before_insert ON billing_posting;
DROP FUNCTION billing_posting_before_insert();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
