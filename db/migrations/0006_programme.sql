-- Running the programme from the back office.

-- An organiser may move someone on the waiting list. A signup's place in
-- line is queue_line, or its id while nobody has moved it (NULL): a move
-- hands the waiting signups of the event their own former keys in the new
-- order, so the keys stay the ids they were, and a new signup, whose id is
-- higher than every one of them, still joins the end of the line. Without
-- a move the line is the order of signup, as before.
ALTER TABLE signups ADD COLUMN queue_line INTEGER;

-- What an organiser wrote about a change: the reason for cancelling
-- someone, or a move in the line ("3 → 1"). The reason column keeps its
-- fixed codes (signup, cancel, capacity, freed, organiser, moved).
ALTER TABLE signup_history ADD COLUMN note TEXT NOT NULL DEFAULT '';
