"""Configuration: paths, the admin policy, the user's settings, and the runtime that joins them.

Nothing outside `app.core.config` owns a path, a policy rule or a setting's type.
"""
