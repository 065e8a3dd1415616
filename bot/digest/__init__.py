"""The evening digest and the weekly reminders: facts (SQL), build (pure), sinks, chart, jobs, schedule."""
