"""The LIFF form page: citizens answer the town's forms (受信設定, アンケート) inside LINE."""
