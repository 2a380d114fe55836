"""The citizen's my-page (マイページ): a LIFF page inside LINE and a web page signed in by e-mail."""
