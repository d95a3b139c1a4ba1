"""Exchange formats for records leaving Kiteline (pure cores, no Django)."""
