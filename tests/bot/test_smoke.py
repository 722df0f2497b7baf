async def test_start(harness):
    text = await harness.say("/start")
    assert "Сводка" in text
