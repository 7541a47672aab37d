"""Result records, run discovery and the generated leaderboard."""
