-- Teams nest: a team's parent team. Team scope reaches a team and every
-- team below it.
CREATE TABLE team_parents (
    team TEXT PRIMARY KEY,
    parent TEXT NOT NULL
);
