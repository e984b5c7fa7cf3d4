-- A release may be scheduled: frozen when the admin confirms it, public
-- from `released_at` (the scheduler flips it to 'released' at that moment).
ALTER TABLE publications DROP CONSTRAINT publications_status_known;
ALTER TABLE publications ADD CONSTRAINT publications_status_known
    CHECK (status IN ('draft', 'scheduled', 'released'));
